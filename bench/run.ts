/** `npm run bench -- NAME...` runs the named benchmarks (all when none is named). */
const BENCHES: Record<string, () => Promise<unknown>> = {
  api: () => import('./api.js'),
  controllers: () => import('./controllers.js'),
  pods: () => import('./pods.js'),
  proxy: () => import('./proxy.js'),
  scheduler: () => import('./scheduler.js'),
};

const names = process.argv.slice(2).filter((a) => a !== '--');
const selected = names.length > 0 ? names : Object.keys(BENCHES);
for (const name of selected) {
  const run = BENCHES[name];
  if (!run) {
    process.stderr.write(`unknown benchmark "${name}"; known: ${Object.keys(BENCHES).join(', ')}\n`);
    process.exit(2);
  }
  await run();
}
