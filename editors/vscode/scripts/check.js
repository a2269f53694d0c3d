// `npm run compile`: the extension has no build step, so this checks what a
// build would: the manifest and grammar are valid JSON, every pattern of the
// grammar compiles, and the grammar gives the shipped policies' keywords,
// comments and strings their scopes.
'use strict';

const fs = require('fs');
const path = require('path');

const here = path.join(__dirname, '..');
const manifest = JSON.parse(fs.readFileSync(path.join(here, 'package.json'), 'utf8'));
const grammarPath = path.join(here, manifest.contributes.grammars[0].path);
const grammar = JSON.parse(fs.readFileSync(grammarPath, 'utf8'));
JSON.parse(fs.readFileSync(path.join(here, 'language-configuration.json'), 'utf8'));
require.resolve('vscode-languageclient/node');

// Flatten the grammar's rules (no nesting beyond `include` is used).
const rules = [];
function collect(rule) {
  if (rule.include) {
    collect(grammar.repository[rule.include.slice(1)]);
  } else if (rule.patterns && !rule.begin) {
    rule.patterns.forEach(collect);
  } else {
    rules.push(rule);
  }
}
grammar.patterns.forEach(collect);
for (const rule of rules) {
  for (const key of ['match', 'begin', 'end']) {
    if (rule[key]) new RegExp(rule[key], 'g'); // throws on a bad pattern
  }
}

// A rough tokenizer: at each position the first rule that matches there.
function scopes(line) {
  const found = [];
  let at = 0;
  while (at < line.length) {
    let best = null;
    for (const rule of rules) {
      const re = new RegExp(rule.match || rule.begin, 'gm');
      re.lastIndex = at;
      const m = re.exec(line);
      if (m && m.index === at && m[0].length > 0) {
        best = { rule, text: m[0] };
        break;
      }
    }
    if (!best) {
      at += 1;
      continue;
    }
    found.push([best.text, best.rule.name || Object.values(best.rule.captures || {})[0].name]);
    at += best.text.length;
  }
  return found;
}

const policies = path.join(here, '..', '..', 'policies');
const sample = fs.readFileSync(path.join(policies, 'adaptive.policy'), 'utf8');
const tokens = sample.split('\n').flatMap(scopes);
const want = [
  ['# ', 'comment.line.number-sign.rolegraph'],
  ['role ', 'storage.type.rolegraph'],
  ['permission ', 'storage.type.rolegraph'],
  ['"', 'string.quoted.double.rolegraph'],
  ['grant', 'keyword.other.rolegraph'],
  ['admin:*', 'constant.other.permission.rolegraph'],
];
for (const [start, scope] of want) {
  if (!tokens.some(([text, s]) => text.startsWith(start) && s === scope)) {
    console.error(`the grammar gives no \`${start.trim()}\` the scope ${scope}`);
    process.exit(1);
  }
}
console.log(`grammar ok: ${rules.length} rules, ${tokens.length} tokens in adaptive.policy`);
