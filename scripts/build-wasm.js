// Compiles the AssemblyScript kernels into the four wasm variants the engine picks from at
// run time: plain SIMD or relaxed-SIMD FMA, each with private or shared (threaded) memory.
import { main } from 'assemblyscript/asc';

const targets = ['simd', 'fma', 'simd-shared', 'fma-shared'];
for (const target of targets) {
  const { error, stderr } = await main(['--config', 'asconfig.json', '--target', target], {});
  if (error) {
    process.stderr.write(stderr.toString());
    console.error(`asc failed for target ${target}: ${error.message}`);
    process.exit(1);
  }
}
console.log(`built ${targets.length} wasm variants into build/`);
