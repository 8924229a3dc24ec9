//! `regctl manifest`: print a manifest, or the one an index holds for a platform.

use clap::Args;

use super::client_args::{self, ClientArgs};
use super::output::{short_digest, short_media_type, write_stdout};
use super::GlobalArgs;
use crate::remote::client::platform_of;
use crate::remote::{Manifest, Platform, Reference, Target};

/// Show a manifest, or the one an index holds for a platform
#[derive(Debug, Args)]
#[command(
    long_about = "Show a manifest: a summary table, or with `-o json` the exact document the \
registry serves (its digest is the sha256 of these bytes). With --platform, an index resolves to \
the manifest of that platform. Table digests show 12 hex digits and media types short names \
(`oci layer gzip`) to fit 80 columns; --wide shows them in full. With -q only the manifest's \
digest is printed.",
    after_help = "Examples:\n  regctl manifest registry.example.com:5000/team/app:1.0\n  regctl manifest registry.example.com/app:latest --platform linux/arm64/v8\n  regctl manifest localhost:5000/app:1.0 --insecure -o json | jq .layers\n  regctl manifest registry.example.com/app:1.0 --wide"
)]
pub struct ManifestArgs {
    /// Image as REGISTRY/REPO[:TAG|@DIGEST] (the tag defaults to `latest`)
    #[arg(value_name = "REGISTRY/REPO:TAG", value_parser = Reference::parse)]
    pub reference: Reference,
    /// For an index (multi-platform image), show the manifest of this os/arch[/variant]
    #[arg(long, value_name = "OS/ARCH[/VARIANT]", value_parser = Platform::parse)]
    pub platform: Option<Platform>,
    /// Show full digests and media types in the table (wider than 80 columns)
    #[arg(long)]
    pub wide: bool,
    #[command(flatten)]
    pub client: ClientArgs,
}

/// Fetches the manifest (and the platform's child) and prints it.
///
/// # Errors
/// Connection, authentication and registry errors; a platform the index lacks.
pub fn run(args: &ManifestArgs, global: &GlobalArgs) -> anyhow::Result<()> {
    let printer = global.printer();
    let target = client_args::resolve_registry(args.reference.registry.clone(), global)?;
    let credentials = client_args::credentials(&args.client, &target.registry, &printer)?;
    let repository = &args.reference.repository;
    let reference = args
        .reference
        .target
        .clone()
        .unwrap_or_else(|| Target::Tag("latest".to_owned()));
    let manifest = client_args::runtime()?.block_on(async {
        let client = client_args::connect(&target, &args.client, credentials, &printer).await?;
        let manifest = client.manifest(repository, reference.as_str()).await?;
        match &args.platform {
            Some(platform) if manifest.is_index() => anyhow::Ok(
                client
                    .manifest_for_platform(repository, manifest, platform)
                    .await?,
            ),
            Some(platform) => {
                printer.warn(format!(
                    "{}:{} is a single-platform manifest; --platform {platform} does not apply",
                    repository,
                    reference.as_str()
                ));
                anyhow::Ok(manifest)
            }
            None => anyhow::Ok(manifest),
        }
    })?;
    if printer.is_json() {
        let mut bytes = manifest.bytes.clone();
        if bytes.last() != Some(&b'\n') {
            bytes.push(b'\n');
        }
        return write_stdout(&bytes);
    }
    print_summary(
        &printer,
        &manifest,
        &format!("{}/{repository}", target.registry),
        args.wide,
    )
}

fn print_summary(
    printer: &super::Printer,
    manifest: &Manifest,
    name: &str,
    wide: bool,
) -> anyhow::Result<()> {
    if printer.quiet {
        // The key of a manifest is its digest (what `REPO@DIGEST` and `delete` take).
        return printer.line(&manifest.digest);
    }
    let json = manifest.json()?;
    printer.line(format!("Name:       {name}@{}", manifest.digest))?;
    printer.line(format!("Media type: {}", manifest.media_type))?;
    printer.line(format!(
        "Size:       {}",
        bytesize::ByteSize::b(manifest.bytes.len() as u64)
    ))?;
    let field = |entry: &serde_json::Value, name: &str| {
        let value = entry
            .get(name)
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default();
        match name {
            "digest" => short_digest(value, wide),
            "mediaType" => short_media_type(value, wide),
            _ => value.to_owned(),
        }
    };
    let size = |entry: &serde_json::Value| {
        entry
            .get("size")
            .and_then(serde_json::Value::as_u64)
            .map_or_else(String::new, |s| bytesize::ByteSize::b(s).to_string())
    };
    if manifest.is_index() {
        let entries = json
            .get("manifests")
            .and_then(serde_json::Value::as_array)
            .cloned()
            .unwrap_or_default();
        return printer.table(
            &["PLATFORM", "DIGEST", "MEDIA TYPE", "SIZE"],
            entries.iter().map(|entry| {
                vec![
                    platform_of(entry).unwrap_or_else(|| "-".to_owned()),
                    field(entry, "digest"),
                    field(entry, "mediaType"),
                    size(entry),
                ]
            }),
        );
    }
    let mut rows = Vec::new();
    if let Some(config) = json.get("config") {
        rows.push(vec![
            "config".to_owned(),
            field(config, "digest"),
            field(config, "mediaType"),
            size(config),
        ]);
    }
    let layers = json
        .get("layers")
        .and_then(serde_json::Value::as_array)
        .cloned()
        .unwrap_or_default();
    let total: u64 = layers
        .iter()
        .filter_map(|l| l.get("size").and_then(serde_json::Value::as_u64))
        .sum();
    for (i, layer) in layers.iter().enumerate() {
        rows.push(vec![
            format!("layer {}", i + 1),
            field(layer, "digest"),
            field(layer, "mediaType"),
            size(layer),
        ]);
    }
    printer.line(format!(
        "Layers:     {} ({} compressed)",
        layers.len(),
        bytesize::ByteSize::b(total)
    ))?;
    printer.table(&["PART", "DIGEST", "MEDIA TYPE", "SIZE"], rows)
}
