//! Packages this very binary as the ingester image: no base image, no pull.

use std::path::PathBuf;
use std::sync::OnceLock;

use anyhow::{Context, Result};
use bollard::query_parameters::{
    CreateImageOptionsBuilder, ListImagesOptionsBuilder, RemoveImageOptions,
};
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use crate::docker::{DockerHost, labels};

/// Repository of the ingester images; the tag is the binary's hash.
pub const REPOSITORY: &str = "pyrobench-ingester";
/// Where the binary sits inside the image.
pub const BINARY_PATH: &str = "/pyrobench";

/// The running executable and the hash that names its images.
#[derive(Debug, Clone)]
pub struct SelfBinary {
    pub path: PathBuf,
    pub hash: String,
}

/// Hashing is done once per process: the image and the init volume are keyed by it, so a
/// changed binary gets fresh ones and an unchanged one reuses them.
pub fn self_binary() -> Result<&'static SelfBinary> {
    static BINARY: OnceLock<SelfBinary> = OnceLock::new();
    if let Some(binary) = BINARY.get() {
        return Ok(binary);
    }
    let path = std::env::current_exe().context("cannot locate the pyrobench executable")?;
    let bytes = std::fs::read(&path)
        .with_context(|| format!("cannot read the pyrobench executable {}", path.display()))?;
    let digest = Sha256::digest(&bytes);
    let hash = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    Ok(BINARY.get_or_init(|| SelfBinary { path, hash }))
}

pub fn image_tag(binary: &SelfBinary) -> String {
    format!("{REPOSITORY}:{}", binary.hash)
}

/// The binary hash an ingester image's tag names.
pub fn ingester_image_binary(tag: &str) -> Option<&str> {
    tag.strip_prefix(REPOSITORY)?.strip_prefix(':')
}

/// A root filesystem holding only the binary.
fn rootfs_tar(binary: &SelfBinary) -> Result<Vec<u8>> {
    let bytes = std::fs::read(&binary.path).context("cannot read the pyrobench executable")?;
    let mut header = tar::Header::new_gnu();
    header.set_size(bytes.len() as u64);
    header.set_mode(0o755);
    header.set_cksum();
    let mut builder = tar::Builder::new(Vec::new());
    builder.append_data(
        &mut header,
        BINARY_PATH.trim_start_matches('/'),
        bytes.as_slice(),
    )?;
    Ok(builder.into_inner()?)
}

impl DockerHost {
    /// Returns the ingester image's tag, importing it first if this binary has none yet.
    pub async fn ensure_ingester_image(&self) -> Result<String> {
        let binary = self_binary()?;
        let tag = image_tag(binary);
        if self.image_exists(&tag).await? {
            return Ok(tag);
        }
        let options = CreateImageOptionsBuilder::default()
            .from_src("-")
            .repo(REPOSITORY)
            .tag(&binary.hash)
            .changes(vec![
                format!("ENTRYPOINT [\"{BINARY_PATH}\", \"ingester\"]"),
                format!("LABEL {}=true", labels::CACHE),
                format!("LABEL {}={}", labels::BINARY, binary.hash),
            ])
            .build();
        let rootfs = rootfs_tar(binary)?;
        let mut stream =
            self.api
                .create_image(Some(options), Some(bollard::body_full(rootfs.into())), None);
        while let Some(item) = stream.next().await {
            item.context("cannot import the ingester image")?;
        }
        Ok(tag)
    }

    /// Images of earlier builds of pyrobench would pile up otherwise. One that a live
    /// session holds a lease on stays, and so does one a container uses (Docker refuses).
    pub async fn remove_stale_ingester_images(&self, current: &str) {
        let filters = std::collections::HashMap::from([("reference", vec![REPOSITORY])]);
        let options = ListImagesOptionsBuilder::default()
            .filters(&filters)
            .build();
        let Ok(images) = self.api.list_images(Some(options)).await else {
            return;
        };
        let Ok(leases) = self.live_leases().await else {
            return;
        };
        for image in images {
            let in_use = |tag: &String| {
                tag == current || ingester_image_binary(tag).is_some_and(|hash| leases.holds(hash))
            };
            if image.repo_tags.iter().any(in_use) {
                continue;
            }
            for tag in &image.repo_tags {
                let _ = self
                    .api
                    .remove_image(tag, None::<RemoveImageOptions>, None)
                    .await;
            }
        }
    }
}
