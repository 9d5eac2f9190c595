// A launcher test worker without the addon: rank 0 reports its environment and listens on
// MASTER_PORT until the launcher stops it; rank 1 waits until rank 0 is up, then fails.
import { connect, createServer } from 'node:net';

const rank = process.env.RANK;
const port = Number(process.env.MASTER_PORT);
if (rank === '0') {
  console.log(`rank 0 saw RANK=${rank} WORLD_SIZE=${process.env.WORLD_SIZE} LOCAL_RANK=${process.env.LOCAL_RANK} MASTER_PORT=${port} SENTENCEVAE_THREADS=${process.env.SENTENCEVAE_THREADS}`);
  const server = createServer((socket) => socket.end()).listen(port, '127.0.0.1');
  process.on('SIGTERM', () => {
    server.close();
    process.exit(0);
  });
} else {
  const tryConnect = () => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.destroy();
      process.stderr.write(`rank ${rank} gives up\n`);
      process.exit(3);
    });
    socket.on('error', () => setTimeout(tryConnect, 50));
  };
  tryConnect();
}
