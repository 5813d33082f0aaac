/** The tenant `notify:` block: env references resolved, defaults filled in, bad URLs rejected. */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/config-error.js';
import { parseConfig } from '../../src/config/load.js';
import { SECRETS } from '../support/secrets.js';

const ref = (name: string) => `\${env:${name}}`;
const yaml = (notify: string) => `tenants:
  - id: acme
    integrations:
      - { id: tickets, type: generic, secrets: [${SECRETS.demo}] }
    members: [{ id: alice }]
    policy: { fallbackQueue: triage, routes: [] }
    notify:
${notify}`;

describe('notify config', () => {
  it('resolves tokens from the environment and fills in the API defaults', () => {
    const config = parseConfig(
      yaml(`      slack: { botToken: "${ref('SLACK')}", channel: C0TRIAGE }
      jira: { siteUrl: "https://acme.atlassian.net/", email: bot@acme.example, apiToken: "${ref('JIRA')}" }
      github: { token: "${ref('GH')}" }
`),
      'x',
      { SLACK: 'xoxb-1', JIRA: 'jira-1', GH: 'ghp-1' },
    );
    expect(config.tenants.get('acme')?.notify).toEqual({
      slack: { botToken: 'xoxb-1', channel: 'C0TRIAGE', apiUrl: 'https://slack.com/api' },
      jira: { siteUrl: 'https://acme.atlassian.net', email: 'bot@acme.example', apiToken: 'jira-1' },
      github: { token: 'ghp-1', apiUrl: 'https://api.github.com' },
    });
  });

  const problemsOf = (notify: string, env: NodeJS.ProcessEnv = {}) => {
    try {
      parseConfig(yaml(notify), 'x', env);
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      return (e as ConfigError).problems;
    }
    throw new Error('expected the config to be rejected');
  };

  it('rejects a URL that is not http(s), naming where, without echoing the token', () => {
    const problems =
      problemsOf(`      jira: { siteUrl: "ftp://acme", email: bot@acme.example, apiToken: "jira-literal-token" }
      github: { token: "ghp-literal-token", apiUrl: "not a url" }
`);
    expect(problems.map((p) => [p.pointer, p.message])).toEqual([
      ['/tenants/0/notify/jira/siteUrl', 'not an http(s) URL'],
      ['/tenants/0/notify/github/apiUrl', 'not an http(s) URL'],
    ]);
    expect(JSON.stringify(problems)).not.toMatch(/literal-token/);
  });

  it('a token variable that is not set is a problem at its path', () => {
    const problems = problemsOf(`      github: { token: "${ref('MISSING_GH')}" }\n`);
    expect(problems.map((p) => p.pointer)).toEqual(['/tenants/0/notify/github/token']);
  });
});
