// A `decide` function: during a release freeze, deploy and change tasks go to the release
// manager on duty; otherwise it abstains and the next route decides.
// Declared fields: task.type, task.labels (nothing else of the task is passed in).
const FREEZES = [
  { from: '2026-12-18T00:00:00Z', to: '2027-01-04T00:00:00Z', manager: 'rm-dana' },
  { from: '2027-03-29T00:00:00Z', to: '2027-04-02T00:00:00Z', manager: 'rm-eli' },
];

export default function ({ task, now }) {
  const freeze = FREEZES.find((f) => now >= f.from && now < f.to);
  if (!freeze) return { abstain: true };
  const risky = task.type === 'change' || (task.labels ?? []).includes('deploy');
  if (!risky) return { abstain: true };
  console.log(`freeze until ${freeze.to}: ${freeze.manager} decides`);
  return { assignee: freeze.manager, reason: 'release freeze' };
}
