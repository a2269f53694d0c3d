//! The compiled document of SPEC §6: deterministic bytes for the same policy,
//! whatever the order of files; keys and arrays sorted; no timestamps.

use std::collections::BTreeMap;
use std::io::Write;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::Matrix;
use crate::resolve::Model;

#[derive(Serialize)]
pub struct Document<'a> {
    pub schema_version: u32,
    pub source_digest: String,
    pub permissions: Vec<PermissionDoc>,
    pub roles: BTreeMap<String, RoleDoc>,
    pub teams: BTreeMap<String, TeamDoc>,
    pub resources: BTreeMap<String, ResourceDoc>,
    pub grants: Grants<'a>,
}

/// The matrix's rows, serialised as they are built (`super::rows`).
pub struct Grants<'a> {
    model: &'a Model,
    matrix: &'a Matrix,
}

impl Serialize for Grants<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(super::rows(self.model, self.matrix))
    }
}

#[derive(Serialize)]
pub struct PermissionDoc {
    pub name: String,
    pub scopes: Vec<String>,
    pub requires_owner: bool,
    pub target_team: bool,
    pub description: Option<String>,
}

#[derive(Serialize)]
pub struct RoleDoc {
    pub title: Option<String>,
    pub permissions: Vec<String>,
    pub only_in: Vec<String>,
}

#[derive(Serialize)]
pub struct TeamDoc {
    pub title: Option<String>,
    pub members: BTreeMap<String, String>,
}

#[derive(Serialize)]
pub struct ResourceDoc {
    pub shares: BTreeMap<String, ShareDoc>,
}

#[derive(Serialize)]
pub struct ShareDoc {
    pub role: String,
    pub owner: bool,
}

/// `sha256:` of the files' contents, sorted, so neither file order nor the
/// path the policy was loaded from changes it.
pub fn source_digest(model: &Model) -> String {
    let mut texts: Vec<&str> = model.sources.files.iter().map(|f| &*f.text).collect();
    texts.sort_unstable();
    let mut hasher = Sha256::new();
    for text in texts {
        hasher.update((text.len() as u64).to_le_bytes());
        hasher.update(text.as_bytes());
    }
    let digest = hasher.finalize();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

pub fn document<'a>(model: &'a Model, matrix: &'a Matrix) -> Document<'a> {
    let names = |perms: &crate::resolve::PermSet| {
        let mut v: Vec<String> = perms.iter().map(|p| model[p].name.clone()).collect();
        v.sort();
        v
    };
    let mut permissions: Vec<PermissionDoc> = model
        .perms
        .iter()
        .map(|p| {
            let mut scopes: Vec<String> = p
                .scopes
                .kinds
                .iter()
                .map(|&k| model[k].key.clone())
                .collect();
            if p.scopes.global {
                scopes.push("global".into());
            }
            if p.scopes.team {
                scopes.push("team".into());
            }
            scopes.sort();
            PermissionDoc {
                name: p.name.clone(),
                scopes,
                requires_owner: p.requires_owner,
                target_team: p.target_team,
                description: p.description.clone(),
            }
        })
        .collect();
    permissions.sort_by(|a, b| a.name.cmp(&b.name));
    let roles = model
        .roles
        .iter()
        .map(|r| {
            let mut only_in: Vec<String> = r
                .allowed_teams
                .iter()
                .flatten()
                .map(|&t| model[t].key.clone())
                .collect();
            only_in.sort();
            let doc = RoleDoc {
                title: r.title.clone(),
                permissions: names(&r.perms),
                only_in,
            };
            (r.key.clone(), doc)
        })
        .collect();
    let teams = model
        .teams
        .iter()
        .map(|t| {
            let members = t
                .members
                .iter()
                .map(|m| (model[m.user].email.clone(), model[m.role].key.clone()))
                .collect();
            (
                t.key.clone(),
                TeamDoc {
                    title: t.title.clone(),
                    members,
                },
            )
        })
        .collect();
    let resources = model
        .resource_ids()
        .map(|r| {
            let shares = model[r]
                .shares
                .iter()
                .map(|s| {
                    let doc = ShareDoc {
                        role: model[s.role].key.clone(),
                        owner: s.owner,
                    };
                    (model[s.team].key.clone(), doc)
                })
                .collect();
            (
                model.scope_name(crate::resolve::Scope::Resource(r)),
                ResourceDoc { shares },
            )
        })
        .collect();
    Document {
        schema_version: 1,
        source_digest: source_digest(model),
        permissions,
        roles,
        teams,
        resources,
        grants: Grants { model, matrix },
    }
}

/// The JSON document, pretty-printed, with a final newline.
pub fn write_json(model: &Model, matrix: &Matrix, out: &mut dyn Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &document(model, matrix))?;
    out.write_all(b"\n")
}

/// `user<TAB>scope<TAB>permission` lines, sorted: the form to commit and diff.
pub fn write_lines(model: &Model, matrix: &Matrix, out: &mut dyn Write) -> std::io::Result<()> {
    for row in super::rows(model, matrix) {
        let prefix = [row.user.as_bytes(), b"\t", row.scope.as_bytes(), b"\t"].concat();
        for p in &row.permissions {
            out.write_all(&prefix)?;
            out.write_all(p.as_bytes())?;
            out.write_all(b"\n")?;
        }
    }
    Ok(())
}
