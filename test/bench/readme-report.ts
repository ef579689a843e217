/**
 * The last step of `npm run bench`: paste the reports the benchmarks wrote (.bench/pop3.md,
 * .bench/renderer.md, .bench/smtp.md, .bench/junk.md, .bench/search.md, .bench/startup.md) into the README's Performance section, between their markers, so the
 * README shows the numbers of the last full run with its date and machine.
 */
import fs from 'node:fs';
import path from 'node:path';

const readme = path.resolve('README.md');
let text = fs.readFileSync(readme, 'utf8');
for (const name of ['pop3', 'renderer', 'smtp', 'junk', 'search', 'startup']) {
  const file = path.resolve('.bench', `${name}.md`);
  if (!fs.existsSync(file)) continue;
  const open = `<!-- bench:${name} -->`;
  const close = `<!-- /bench:${name} -->`;
  const body = `${open}\n${fs.readFileSync(file, 'utf8').trim()}\n${close}`;
  const a = text.indexOf(open);
  const b = text.indexOf(close);
  text = a >= 0 && b > a ? text.slice(0, a) + body + text.slice(b + close.length) : `${text.trimEnd()}\n\n${body}\n`;
  console.log(`README: ${name} report updated from ${path.relative(process.cwd(), file)}`);
}
fs.writeFileSync(readme, text);
