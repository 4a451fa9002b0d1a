import { it } from 'vitest';
import { runSimulateCommand } from '../../src/commands/simulate.js';
import { pr642Table } from '../../src/simulate/spread.js';
it('scratch', () => {
  let t = performance.now();
  console.log(runSimulateCommand({ clients: 100, delay: '5s' }), performance.now() - t);
  t = performance.now();
  console.log(runSimulateCommand({ clients: 10000, delay: '200ms' }), performance.now() - t);
  t = performance.now();
  console.log(pr642Table(42), performance.now() - t);
});
