// A remote `score` function for Switchyard: weighs each candidate's skill in the task's
// component by the customer's tier. Run: FUNCTION_SECRET=whsec_… PORT=8787 node arr-score-server.mjs
import { createServer } from 'node:http';
import { Webhook } from 'standardwebhooks';

const wh = new Webhook(process.env.FUNCTION_SECRET); // the whsec_… secret Switchyard holds for it
const TIER_WEIGHT = { enterprise: 3, business: 2 };

function score({ task, candidates }) {
  const weight = TIER_WEIGHT[task.customerTier] ?? 1;
  const scores = {};
  for (const c of candidates) scores[c.id] = weight * (c.skills?.[task.component] ?? 0);
  return { scores };
}

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    let input;
    try {
      input = wh.verify(body, req.headers); // throws unless Switchyard signed it, within 5 minutes
    } catch {
      return res.writeHead(401).end();
    }
    const id = req.headers['webhook-id']; // answer with the request's id: binds answer to question
    const answer = JSON.stringify(score(input));
    const at = new Date();
    res.writeHead(200, {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': wh.sign(id, at, answer),
    });
    res.end(answer);
  });
});

server.listen(Number(process.env.PORT ?? 8787), '127.0.0.1', () => {
  console.log(`arr-score listening on http://127.0.0.1:${server.address().port}/`);
});
