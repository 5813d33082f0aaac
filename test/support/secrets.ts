/**
 * Every secret the tests share, in one place. None is real; none may be used outside tests and
 * the examples they come from.
 */

/**
 * Standard Webhooks secrets (`whsec_` + base64). `current` … `globex` are the ones of
 * test/fixtures/test-config.yaml (and of the tests' own configs); `unknown` is configured nowhere.
 */
export const SECRETS = {
  current: 'whsec_dGVzdC1zZWNyZXQtY3VycmVudC0wMDAx',
  previous: 'whsec_dGVzdC1zZWNyZXQtcHJldmlvdXMtMDAy',
  expired: 'whsec_dGVzdC1zZWNyZXQtZXhwaXJlZC0wMDAz',
  helpdesk: 'whsec_dGVzdC1zZWNyZXQtaGVscGRlc2stMDA0',
  globex: 'whsec_Z2xvYmV4LXNlY3JldC0wMDAxLXh5eg==',
  unknown: 'whsec_bm90LWEtc2VjcmV0LW9mLWFueW9uZQ==',
  /** examples/demo.yaml's: "switchyard-demo-secret-001", 26 bytes. */
  demo: 'whsec_c3dpdGNoeWFyZC1kZW1vLXNlY3JldC0wMDE=',
  /** examples/functions.yaml's two integrations. */
  shopOrders: 'whsec_c2hvcC1vcmRlcnMtZGVtby1zZWNyZXQ=',
  shopChanges: 'whsec_c2hvcC1jaGFuZ2VzLWRlbW8tc2VjcmV0',
} as const;

/** The other sources' webhook secrets and bearer tokens, as the tests' configs name them. */
export const SOURCE_SECRETS = {
  github: 'gh-webhook-secret-0123456789',
  jira: 'jira-webhook-secret-0123456789',
  jiraRotated: 'jira-webhook-secret-next-98765',
  slack: 'slack-signing-secret-0123456789',
  alertmanager: {
    current: 'am-token-current-5f0c1d2e3a4b',
    previous: 'am-token-previous-9a8b7c6d5e4f',
    expired: 'am-token-expired-00112233445566',
  },
} as const;

/**
 * SWITCHYARD_SECRET_KEY (32 bytes, base64) for every test process: global-setup.ts sets it once
 * in the main process, whose environment the test workers and the servers they spawn inherit.
 */
export const SECRET_KEY = Buffer.from('switchyard-test-secret-key-0001!').toString('base64');
