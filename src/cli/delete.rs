//! `regctl delete`: delete a manifest by tag or digest, saying first which tags go with it.

use std::io::IsTerminal as _;

use anyhow::{bail, Context as _};
use clap::Args;
use serde::Serialize;

use super::client_args::{self, ClientArgs};
use super::output::short_digest;
use super::GlobalArgs;
use crate::remote::client::DEFAULT_CONCURRENCY;
use crate::remote::{Client, Paging, Reference, Target};

/// Delete an image manifest by tag or digest, or only a tag
#[derive(Debug, Args)]
#[command(
    long_about = "Delete an image manifest from a registry.\n\n\
A manifest is deleted by digest: deleting `REPO:TAG` resolves the tag to its digest and removes the \
manifest, which also removes every other tag pointing at the same digest; regctl lists them and \
asks for confirmation first. With --tag-only only the tag is removed (distribution v3 and \
`regctl serve`; distribution 2.x cannot). Layers stay on disk until garbage \
collection runs (`regctl gc`). The result table shows the digest's first 12 hex digits (--wide or \
`-o json`: all of it); with -q it prints only the digest deleted (with --tag-only: the tag).",
    after_help = "Examples:\n  \
regctl delete registry.example.com:5000/team/app:1.0 --dry-run\n  \
regctl delete registry.example.com:5000/team/app:1.0 --yes\n  \
regctl delete localhost:5000/app:1.0 --insecure --yes\n  \
regctl delete registry.example.com/app:old --tag-only --yes"
)]
pub struct DeleteArgs {
    /// Image as REGISTRY/REPO:TAG or REGISTRY/REPO@sha256:DIGEST
    #[arg(value_name = "REGISTRY/REPO:TAG|@DIGEST", value_parser = Reference::parse)]
    pub reference: Reference,
    /// Do not ask for confirmation (required when stdin is not a terminal)
    #[arg(short, long)]
    pub yes: bool,
    /// Show what would be deleted and stop
    #[arg(long)]
    pub dry_run: bool,
    /// Remove only the tag, keeping the manifest and its other tags
    #[arg(long)]
    pub tag_only: bool,
    /// Show the full digest in the result table
    #[arg(long)]
    pub wide: bool,
    #[command(flatten)]
    pub client: ClientArgs,
}

#[derive(Debug, Serialize)]
struct Outcome<'a> {
    registry: String,
    repository: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    digest: Option<String>,
    /// Tags that the deletion removes (for a manifest: every tag pointing at it).
    tags: Vec<String>,
    tag_only: bool,
    dry_run: bool,
    deleted: bool,
}

/// Plans the deletion, confirms it and performs it.
///
/// # Errors
/// Connection, authentication and registry errors, a refusal to confirm, deletes disabled.
pub fn run(args: &DeleteArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    let printer = global.printer();
    let Some(reference) = &args.reference.target else {
        bail!(
            "`{}` names no tag or digest: write REPO:TAG or REPO@sha256:...",
            args.reference
        );
    };
    if args.tag_only && matches!(reference, Target::Digest(_)) {
        bail!("--tag-only needs a tag, not a digest");
    }
    let target = client_args::resolve_registry(args.reference.registry.clone(), global)?;
    let credentials = client_args::credentials(&args.client, &target.registry, &printer)?;
    let repository = args.reference.repository.as_str();
    let runtime = client_args::runtime()?;
    let client = runtime.block_on(client_args::connect(
        &target,
        &args.client,
        credentials,
        &printer,
    ))?;

    let mut outcome = Outcome {
        registry: target.registry.to_string(),
        repository,
        digest: None,
        tags: Vec::new(),
        tag_only: args.tag_only,
        dry_run: args.dry_run,
        deleted: false,
    };
    let question = if let (true, Target::Tag(tag)) = (args.tag_only, reference) {
        outcome.tags.push(tag.clone());
        let question = format!(
            "Delete tag {repository}:{tag} on {} (the manifest stays)?",
            target.registry
        );
        printer.info(format!(
            "will delete tag {repository}:{tag} on {}; its manifest and other tags stay",
            target.registry
        ));
        question
    } else {
        let (digest, tags) = runtime.block_on(plan_manifest_delete(
            &client, repository, reference, &printer,
        ))?;
        printer.info(format!(
            "will delete manifest {repository}@{digest} on {}",
            target.registry
        ));
        match tags.as_slice() {
            [] => printer.info("no tag points at it"),
            tags => printer.info(format!(
                "this removes {} tag{} with it: {}",
                tags.len(),
                if tags.len() == 1 { "" } else { "s" },
                tags.join(", ")
            )),
        }
        outcome.digest = Some(digest.clone());
        outcome.tags = tags;
        format!(
            "Delete manifest {repository}@{digest}{}?",
            match outcome.tags.len() {
                0 => String::new(),
                n => format!(" and its {n} tag{}", if n == 1 { "" } else { "s" }),
            }
        )
    };

    if args.dry_run {
        // A dry run that promises a delete the registry will refuse misleads: ask it first.
        if !runtime.block_on(client.deletes_enabled(repository))? {
            return Err(crate::remote::RemoteError::DeleteDisabled {
                registry: target.registry.to_string(),
            }
            .into());
        }
        printer.info("dry run: nothing deleted");
        return finish(&printer, &outcome, args.wide);
    }
    if !args.yes {
        confirm(&question)?;
    }
    runtime.block_on(async {
        match (&outcome.digest, reference) {
            (Some(digest), _) => client.delete_manifest(repository, digest).await,
            (None, tag) => client.delete_tag(repository, tag.as_str()).await,
        }
    })?;
    outcome.deleted = true;
    finish(&printer, &outcome, args.wide)
}

/// The digest to delete and every tag pointing at it (the tags that disappear with it).
async fn plan_manifest_delete(
    client: &Client,
    repository: &str,
    reference: &Target,
    printer: &super::Printer,
) -> anyhow::Result<(String, Vec<String>)> {
    let digest = match reference {
        Target::Digest(digest) => {
            client.head_manifest(repository, digest).await?;
            digest.clone()
        }
        Target::Tag(tag) => client.head_manifest(repository, tag).await?.digest,
    };
    let all_tags = client.tags(repository, Paging::default(), &|_| {}).await?;
    let bar = printer.progress(all_tags.len() as u64, "finding tags of the same manifest");
    let details = client
        .tag_details(repository, &all_tags, DEFAULT_CONCURRENCY, &|done| {
            bar.set_position(done as u64);
        })
        .await;
    bar.finish_and_clear();
    let tags = details?
        .into_iter()
        .filter(|t| t.digest == digest)
        .map(|t| t.tag)
        .collect();
    Ok((digest, tags))
}

fn confirm(question: &str) -> anyhow::Result<()> {
    if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
        bail!("refusing to delete without confirmation: not on a terminal (pass --yes, or --dry-run to preview)");
    }
    let confirmed = dialoguer::Confirm::new()
        .with_prompt(question)
        .default(false)
        .interact()
        .context("cannot read the confirmation")?;
    if !confirmed {
        bail!("cancelled: nothing deleted");
    }
    Ok(())
}

fn finish(printer: &super::Printer, outcome: &Outcome<'_>, wide: bool) -> anyhow::Result<()> {
    if printer.is_json() {
        return printer.json(outcome);
    }
    if printer.quiet {
        // The key of a deletion: what was (or would be) removed, in full.
        return match &outcome.digest {
            Some(digest) => printer.line(digest),
            None => printer.line(outcome.tags.join("\n")),
        };
    }
    let result = match (outcome.deleted, outcome.tag_only) {
        (true, true) => "tag deleted",
        (true, false) => "deleted",
        (false, true) => "tag would be deleted",
        (false, false) => "would be deleted",
    };
    printer.table(
        &["REPOSITORY", "DIGEST", "TAGS", "RESULT"],
        [vec![
            outcome.repository.to_owned(),
            outcome
                .digest
                .as_deref()
                .map_or_else(|| "-".to_owned(), |d| short_digest(d, wide)),
            if outcome.tags.is_empty() {
                "-".to_owned()
            } else {
                outcome.tags.join(", ")
            },
            result.to_owned(),
        ]],
    )
}
