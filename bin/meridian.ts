#!/usr/bin/env node
/**
 * The `meridian` CLI. Commands arrive with the issues that build them; anything not built yet says so
 * plainly and exits non-zero rather than pretending.
 */
const [command] = process.argv.slice(2);

const NOT_YET: Record<string, string> = {
  up: 'the local multi-region runtime (`meridian up`, run by `npm start`) is not built yet: it arrives with issue 4. Today `npm test` runs the services against a real local DynamoDB (dynalite).',
};

if (!command || command === 'help' || command === '--help') {
  console.log('usage: meridian <command>\n\ncommands:\n  up        run every region locally (not built yet)');
  process.exit(command ? 0 : 1);
}
console.error(`meridian ${command}: ${NOT_YET[command] ?? 'unknown command'}`);
process.exit(1);
