// The rolegraph extension: a language client that starts `rolegraph lsp`
// (every feature comes from the server) and a TextMate grammar.
'use strict';

const vscode = require('vscode');
const { LanguageClient } = require('vscode-languageclient/node');

let client;

async function activate(context) {
  const config = vscode.workspace.getConfiguration('rolegraph');
  const args = [];
  const policy = config.get('policy');
  if (policy) {
    args.push('--policy', policy);
  }
  args.push('lsp');
  // No `transport`: the server speaks on stdio, and the client would add a
  // `--stdio` flag for it.
  const serverOptions = { command: config.get('path') || 'rolegraph', args };
  const clientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'rolegraph' },
      { scheme: 'untitled', language: 'rolegraph' },
    ],
    synchronize: {
      fileEvents: vscode.workspace.createFileSystemWatcher('**/*.policy'),
    },
  };
  client = new LanguageClient('rolegraph', 'rolegraph', serverOptions, clientOptions);
  context.subscriptions.push(
    vscode.commands.registerCommand('rolegraph.restart', () => client.restart()),
  );
  await client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
