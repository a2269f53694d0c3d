//! What each command's `--help` (and man page) shows after its options:
//! examples to copy, and what its exit status means. `man` turns the two
//! headings into the EXAMPLES and EXIT STATUS sections, and
//! `tests/it/help_examples.rs` holds every command to having both.

/// The heading before the examples.
pub const EXAMPLES: &str = "Examples:";
/// The heading before the exit codes.
pub const EXIT_STATUS: &str = "Exit status:";

pub const ROLEGRAPH: &str = "\
Examples:
  rolegraph test                                    # check policies/, run its tests
  rolegraph can john@acme.com use_case:adapt use_case/support-bot
  rolegraph diff git:origin/main policies          # what a change grants

Exit status:
  0  success, or allow
  1  policy errors, failed tests or invariants, a deny, drift
  2  usage or I/O error";

pub const INIT: &str = "\
Examples:
  rolegraph init                     # write ./policies
  rolegraph init org && rolegraph --policy org test

Exit status:
  0  written
  2  DIR is not empty, or cannot be written";

pub const VALIDATE: &str = "\
Examples:
  rolegraph validate
  rolegraph --policy org/ validate --deny-warnings
  rolegraph validate --format sarif > rolegraph.sarif

Exit status:
  0  valid (warnings allowed)
  1  the policy has errors (or warnings, with --deny-warnings)
  2  usage or I/O error";

pub const TEST: &str = "\
Examples:
  rolegraph test
  rolegraph test --coverage-min 80
  rolegraph test --format junit > rolegraph-junit.xml

Exit status:
  0  every test and invariant passed (and coverage is at least --coverage-min)
  1  the policy has errors, a test or invariant failed, or coverage is too low
  2  usage or I/O error";

pub const COMPILE: &str = "\
Examples:
  rolegraph compile -o matrix.json
  rolegraph compile --format lines > access.tsv
  rolegraph compile --format bundle -o org.bundle && rolegraph --policy org.bundle who model:manage_models

Exit status:
  0  written
  1  the policy has errors
  2  usage or I/O error";

pub const CAN: &str = "\
Examples:
  rolegraph can john@acme.com use_case:adapt use_case/support-bot
  rolegraph can maria@acme.com use_case:share use_case/fraud-detector --to team/customer-support-team
  rolegraph can --batch questions.jsonl            # one JSON answer per line

Exit status:
  0  allow (with --batch: every line answered)
  1  deny, or the policy has errors
  2  usage or I/O error: an unknown permission, team or resource, a missing or unexpected --to";

pub const EXPLAIN: &str = "\
Examples:
  rolegraph explain carol@acme.com use_case:adapt use_case/support-bot
  rolegraph explain alice@acme.com admin:manage_users team/ml-team --format json
  rolegraph explain ken@acme.com use_case:share use_case/fraud-detector --to team/customer-support-team

Exit status:
  0  allow
  1  deny, or the policy has errors
  2  usage or I/O error";

pub const WHO: &str = "\
Examples:
  rolegraph who admin:manage_users team/ml-team
  rolegraph who use_case:adapt use_case/support-bot --format json

Exit status:
  0  answered (even when nobody holds it)
  1  the policy has errors
  2  usage or I/O error: an unknown permission, team or resource";

pub const WHAT: &str = "\
Examples:
  rolegraph what maria@acme.com
  rolegraph what li@acme.com --format json

Exit status:
  0  answered (a user declared nowhere is shown as a new login)
  1  the policy has errors
  2  usage or I/O error";

pub const DIFF: &str = "\
Examples:
  rolegraph diff git:origin/main policies                  # what this branch grants and revokes
  rolegraph diff old/ new/ --format markdown --fail-on-grant 'admin:*'
  rolegraph diff adaptive:deployment.json policies         # the deployment against the policy

Exit status:
  0  compared
  1  a policy has errors, or a granted permission matches --fail-on-grant
  2  usage or I/O error";

pub const FMT: &str = "\
Examples:
  rolegraph fmt
  rolegraph fmt --check                 # in CI: exit 1 naming the files that would change
  rolegraph --policy org/teams.policy fmt

Exit status:
  0  formatted (with --check: nothing would change)
  1  a file does not parse, or (with --check) would change
  2  usage or I/O error";

pub const GRAPH: &str = "\
Examples:
  rolegraph graph > org.mmd
  rolegraph graph --format dot --team ml-team | dot -Tsvg > ml-team.svg
  rolegraph graph --resource use_case/support-bot

Exit status:
  0  written
  1  the policy has errors
  2  usage or I/O error: an unknown team, role or resource";

pub const AUDIT: &str = "\
Examples:
  rolegraph audit
  rolegraph audit --fail-on-escalation         # in CI
  rolegraph audit --user ken@acme.com --format json

Exit status:
  0  audited (with --fail-on-escalation: no escalation path)
  1  the policy has errors, or (with --fail-on-escalation) an escalation path exists
  2  usage or I/O error";

pub const PLAN: &str = "\
Examples:
  rolegraph pull -o deployment.json && rolegraph plan --state deployment.json
  rolegraph plan --state deployment.json --fail-on-drift     # nightly drift check
  rolegraph plan --state deployment.json --prune -o plan.json --format markdown

Exit status:
  0  planned (with --fail-on-drift: no drift)
  1  the policy has errors, or (with --fail-on-drift) the deployment drifted
  2  usage or I/O error: no state, or an unreadable one";

pub const APPLY: &str = "\
Examples:
  rolegraph plan --url https://adaptive.example.com -o plan.json && rolegraph apply plan.json
  rolegraph apply --yes --format json > report.json     # CI on merge; URL from ADAPTIVE_URL
  rolegraph apply --prune --batch-size 1                 # one operation per request

Exit status:
  0  applied, and a fresh read shows the deployment in sync
  1  an operation failed or is left, a stale plan, policy errors, or declined
  2  usage, network or I/O error: no URL or key, no terminal without --yes";

pub const PULL: &str = "\
Examples:
  rolegraph pull --url https://adaptive.example.com -o deployment.json   # key from ADAPTIVE_API_KEY
  rolegraph pull > deployment.json                  # URL from ADAPTIVE_URL

Exit status:
  0  written
  2  usage, network or I/O error, or a refused key";

pub const IMPORT: &str = "\
Examples:
  rolegraph import helm values.yaml > policies/auth.policy
  rolegraph import adaptive deployment.json -o imported/

Exit status:
  0  imported
  1  the imported policy does not validate
  2  usage or I/O error";

pub const IMPORT_HELM: &str = "\
Examples:
  rolegraph import helm values.yaml
  rolegraph import helm chart/values.yaml --format json

Exit status:
  0  printed
  2  usage or I/O error: an unreadable file, or an `auth:` section rolegraph cannot read";

pub const IMPORT_ADAPTIVE: &str = "\
Examples:
  rolegraph import adaptive deployment.json > org.policy
  rolegraph import adaptive deployment.json -o imported/ --helm values.yaml
  rolegraph --policy imported/ validate

Exit status:
  0  imported
  1  the imported policy does not validate
  2  usage or I/O error";

pub const LSP: &str = "\
Examples:
  rolegraph lsp                          # the editor starts it; it reads policies/
  rolegraph --policy org/ lsp

Exit status:
  0  the editor closed the connection
  2  usage or I/O error";

pub const EXPORT: &str = "\
Examples:
  rolegraph export helm > auth-values.yaml
  rolegraph --policy org/ export helm

Exit status:
  0  written
  1  the policy has errors
  2  usage or I/O error";

pub const EXPORT_HELM: &str = "\
Examples:
  rolegraph export helm > auth-values.yaml
  rolegraph --policy org.bundle export helm

Exit status:
  0  written
  1  the policy has errors
  2  usage or I/O error";

pub const COMPLETIONS: &str = "\
Examples:
  rolegraph completions bash > /etc/bash_completion.d/rolegraph
  rolegraph completions zsh > \"${fpath[1]}/_rolegraph\"
  rolegraph completions fish > ~/.config/fish/completions/rolegraph.fish

Exit status:
  0  printed
  2  usage error";

pub const MAN: &str = "\
Examples:
  rolegraph man > rolegraph.1                        # the index page
  rolegraph man can | man -l -                       # rolegraph-can(1)
  rolegraph man --dir /usr/local/share/man/man1      # every page

Exit status:
  0  written
  2  usage or I/O error: an unknown command, an unwritable directory";

pub const SERVE: &str = r#"Examples:
  rolegraph serve
  rolegraph --policy org.bundle serve --addr 0.0.0.0:8181 --token-file token
  curl -s localhost:8181/v1/check -d '{"user":"john@acme.com","permission":"use_case:adapt","scope":"use_case/support-bot"}'

Exit status:
  0  stopped by SIGTERM or SIGINT
  1  the policy has errors at start
  2  usage or I/O error: a bad address, an unreadable token"#;
