#!/usr/bin/env node
// The `pdu` command. Sub-commands are small modules; this file only dispatches.
import { startLocalStunServer } from '../node/stun-server.js';

const USAGE = `usage: pdu <command>

commands:
  stun [--host 127.0.0.1]   run a loopback STUN responder (for local werift peers) until interrupted
  train [--help]            train the loss predictor on the shared traces and simulations
  eval [--help]             judge the loss predictor on held-out traces (last line: JSON)
  peer --room NAME          join a demo room as a Node peer (pdu peer --help)
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'stun': {
      const hostFlag = rest.indexOf('--host');
      const host = hostFlag >= 0 ? rest[hostFlag + 1] : undefined;
      const server = await startLocalStunServer(host);
      console.log(`STUN responder on ${server.url} (Ctrl-C to stop)`);
      // The responder's socket is unref'd for embedders; here it is the whole program.
      await new Promise<void>((resolve) => process.once('SIGINT', resolve));
      await server.close();
      return 0;
    }
    case 'peer':
      return (await import('./peer.js')).peerMain(rest);
    case 'train':
      return (await import('../train/cli.js')).runTrain(rest);
    case 'eval':
      return (await import('../train/cli.js')).runEval(rest);
    default:
      process.stderr.write(USAGE);
      return command === undefined || command === 'help' || command === '--help' ? 0 : 2;
  }
}

process.exitCode = await main(process.argv.slice(2));
