/**
 * `npm start`. The daemon (`devq-node`) and its dashboard are not part of this tree yet, so this
 * says what DevQ is and what runs today, and exits 0.
 */
const text = `DevQ: a build grid for small teams that needs no server.

Developer laptops and spare boxes join one private libp2p mesh on the LAN. A git hook announces each
commit; peers with free slots bid; a signed, replicated ledger settles who builds it; the winner
fetches that commit, runs the pipeline from .devq.yml and reports back.

In this tree today: packages/core, the signed event ledger (LevelDB), its deterministic fold, the
weighted priority scheduler, the .devq.yml parser and planner, and a deterministic grid simulator.
The mesh daemon, the runner and the dashboard come next.

  npm test                  lint, types, import rules and every test
  npm run bench -- core     ledger, fold and scheduler figures (add --json for one JSON line)
  npm run schema            writes schema/devq.schema.json for editor completion of .devq.yml
`
process.stdout.write(text)
