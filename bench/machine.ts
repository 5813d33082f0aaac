/** What the numbers were measured on, including how long the disk takes to fsync (intake is bound by it). */
import { closeSync, fdatasyncSync, openSync, rmSync, writeSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { join } from 'node:path';

const FSYNC_SAMPLES = 200;
const FSYNC_BOUND_MS = 3_000;

export function machineInfo(tmpDir: string) {
  const cpuList = cpus();
  return {
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpuModel: cpuList[0]?.model ?? 'unknown',
    cores: availableParallelism(),
    logicalCpus: cpuList.length,
    totalMemoryMiB: Math.round(totalmem() / 1024 / 1024),
    fsyncMs: fsyncProbe(tmpDir),
  };
}

/** 4 KiB append + fdatasync, like a WAL commit: up to 200 samples or 3 s in the bench's temp dir. */
function fsyncProbe(dir: string): { p50: number; p99: number; max: number; samples: number } {
  const file = join(dir, 'fsync-probe');
  const fd = openSync(file, 'w');
  const page = Buffer.alloc(4096, 1);
  const samples: number[] = [];
  const start = performance.now();
  try {
    while (samples.length < FSYNC_SAMPLES && performance.now() - start < FSYNC_BOUND_MS) {
      const t = performance.now();
      writeSync(fd, page);
      fdatasyncSync(fd);
      samples.push(performance.now() - t);
    }
  } finally {
    closeSync(fd);
    rmSync(file, { force: true });
  }
  samples.sort((a, b) => a - b);
  const at = (q: number) =>
    Math.round((samples[Math.min(samples.length - 1, Math.ceil(q * samples.length) - 1)] ?? 0) * 1000) / 1000;
  return { p50: at(0.5), p99: at(0.99), max: at(1), samples: samples.length };
}
