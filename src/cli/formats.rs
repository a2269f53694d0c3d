//! Each command's own `--format`: the values it writes, and no other, so
//! `--help`, completions and the man pages offer only what it accepts.
//!
//! The commands still read the one [`Format`] (through [`super::Cli::format`]):
//! a `--format` given before the command name (`rolegraph --format json can …`,
//! the older spelling) is parsed as a [`Format`] and checked by the command.

use super::Format;

/// One `clap::ValueEnum` per set of formats a command writes, each
/// convertible into the shared [`Format`].
macro_rules! formats {
    ($( $(#[$doc:meta])* $name:ident { $( $(#[$vdoc:meta])* $variant:ident ),+ $(,)? } )+) => {
        $(
            $(#[$doc])*
            #[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
            pub enum $name {
                $( $(#[$vdoc])* $variant ),+
            }

            impl From<$name> for Format {
                fn from(f: $name) -> Format {
                    match f {
                        $( $name::$variant => Format::$variant ),+
                    }
                }
            }
        )+
    };
}

formats! {
    /// `validate`.
    ValidateFormat {
        /// Diagnostics for people, on standard error.
        Text,
        /// The diagnostics object.
        Json,
        /// GitHub Actions annotations (`::error file=…`).
        Github,
        /// SARIF 2.1.0, for code scanning.
        Sarif,
    }
    /// `test`.
    TestFormat {
        /// A line per test and invariant, failures explained.
        Text,
        /// Every test line and invariant rule, with coverage when asked.
        Json,
        /// JUnit XML, for CI test reports.
        Junit,
        /// Policy coverage as LCOV (implies --coverage).
        Lcov,
    }
    /// `compile`.
    CompileFormat {
        /// The matrix of SPEC §6.
        Json,
        /// Sorted `user<TAB>scope<TAB>permission` lines.
        Lines,
        /// The checked policy, saved for fast loading (give it to `--policy`).
        Bundle,
    }
    /// `can`, `explain`, `who`, `what`, `audit`, `fmt`, `import helm`.
    TextOrJson {
        /// For people.
        Text,
        /// For programs.
        Json,
    }
    /// `diff`, `plan`.
    ReportFormat {
        /// For people.
        Text,
        /// For programs.
        Json,
        /// For a pull-request comment.
        Markdown,
    }
    /// `graph`.
    GraphFormat {
        /// A Mermaid flowchart.
        Mermaid,
        /// Graphviz DOT.
        Dot,
        /// Nodes and edges.
        Json,
    }
    /// `import adaptive`, `export helm`.
    TextOnly {
        /// Policy text or YAML, as the command writes it.
        Text,
    }
    /// `pull`.
    JsonOnly {
        /// The deployment's state file.
        Json,
    }
}
