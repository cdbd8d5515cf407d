//! Images: building a benchmark folder, and reading an image's command.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use bollard::query_parameters::BuildImageOptionsBuilder;
use futures_util::StreamExt;
use ignore::gitignore::{Gitignore, GitignoreBuilder};

use super::{DockerHost, labels};

/// A built image and the benchmark it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltImage {
    /// Benchmark name: the folder's name.
    pub name: String,
    pub tag: String,
    pub id: String,
    /// Labelled `io.pyrobench.kind=service`: measured under load, not to its exit.
    pub service: bool,
    /// Labelled `io.pyrobench.mode=pull`: scraped by the collector, not pushing.
    pub pull: bool,
    /// The Dockerfile `ARG`s it was built with.
    pub build_args: BTreeMap<String, String>,
}

/// Label that makes a benchmark a service: `LABEL io.pyrobench.kind=service`.
pub const KIND_LABEL: &str = "io.pyrobench.kind";
/// A service's readiness path, when it is not `/`.
pub const READY_PATH_LABEL: &str = "io.pyrobench.ready-path";
/// How the agent delivers profiles: `push` (the default) or `pull`.
pub const MODE_LABEL: &str = "io.pyrobench.mode";
/// A pull benchmark's pprof port.
pub const PPROF_PORT_LABEL: &str = "io.pyrobench.pprof-port";

/// What an image's config says about running it: its command, ports and labels.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageConfig {
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
    /// TCP ports it EXPOSEs, in order.
    pub tcp_ports: Vec<u16>,
    pub labels: std::collections::BTreeMap<String, String>,
}

impl ImageConfig {
    /// Labelled `io.pyrobench.kind=service`.
    pub fn is_service(&self) -> bool {
        self.labels.get(KIND_LABEL).map(String::as_str) == Some("service")
    }

    /// The port a pull benchmark serves pprof on, or `None` for a push one; refuses
    /// labels that do not say one of the two.
    pub fn pull_port(&self, name: &str) -> Result<Option<u16>> {
        match self.labels.get(MODE_LABEL).map(String::as_str) {
            None | Some("push") => Ok(None),
            Some("pull") => {
                let port = self.labels.get(PPROF_PORT_LABEL).with_context(|| {
                    format!(
                        "{name} is a pull benchmark ({MODE_LABEL}=pull) without \
                         {PPROF_PORT_LABEL}: add `LABEL {PPROF_PORT_LABEL}=6060` with its port"
                    )
                })?;
                let port = port.parse::<u16>().ok().filter(|p| *p > 0).with_context(|| {
                    format!("{name}: {PPROF_PORT_LABEL}={port:?} is not a TCP port: give one like 6060")
                })?;
                Ok(Some(port))
            }
            Some(other) => bail!(
                "{name}: {MODE_LABEL}={other:?} is neither push nor pull: label it \
                 {MODE_LABEL}=pull (with {PPROF_PORT_LABEL}) or leave the label out"
            ),
        }
    }

    /// The argv a container runs, with `cmd` replacing the image's CMD when given, as
    /// `docker run IMAGE CMD...` does.
    pub fn argv(&self, cmd_override: Option<&[String]>) -> Vec<String> {
        let cmd = cmd_override.unwrap_or(&self.cmd);
        self.entrypoint.iter().chain(cmd).cloned().collect()
    }
}

/// Checks that `dir` is a benchmark folder and returns its name.
pub fn benchmark_name(dir: &Path) -> Result<String> {
    if !dir.exists() {
        bail!(
            "benchmark folder {} does not exist: give the path of a folder that holds a Dockerfile",
            dir.display()
        );
    }
    if !dir.is_dir() {
        bail!(
            "benchmark {} is not a folder: give the folder that holds the Dockerfile",
            dir.display()
        );
    }
    if !dir.join("Dockerfile").is_file() {
        bail!(
            "benchmark folder {} has no Dockerfile: add one (see benchmarks/README.md)",
            dir.display()
        );
    }
    let canonical = dir.canonicalize().unwrap_or_else(|_| PathBuf::from(dir));
    let name = canonical
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "benchmark".to_string());
    Ok(name)
}

/// The image tag of a benchmark folder: its name, made safe for Docker (lowercase letters,
/// digits and a few separators), and a hash of its full path, so that two folders of one
/// name (`x1/app`, `x2/app`) never share a tag; the tag part names the build arguments.
pub fn tag_for(name: &str, dir: &Path, build_args: &BTreeMap<String, String>) -> String {
    use sha2::Digest;
    let canonical = dir.canonicalize().unwrap_or_else(|_| PathBuf::from(dir));
    let digest = sha2::Sha256::digest(canonical.as_os_str().as_encoded_bytes());
    let hash: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
    let clean = tag_safe(&name.to_lowercase());
    format!(
        "pyrobench/{}-{hash}:{}",
        clean.trim_matches(|c: char| !c.is_ascii_alphanumeric()),
        args_tag(build_args)
    )
}

/// `text` with every character Docker does not allow in a name or tag as `-`.
fn tag_safe(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// The tag part of an image built with `build_args`: `latest` without any, else the
/// arguments as `NAME-value_NAME-value`, readable where Docker's tag rules allow (and a
/// hash of them instead when they would not fit its 128 characters).
fn args_tag(build_args: &BTreeMap<String, String>) -> String {
    use sha2::Digest;
    if build_args.is_empty() {
        return "latest".to_string();
    }
    let plain: Vec<String> = build_args.iter().map(|(k, v)| format!("{k}-{v}")).collect();
    let tag = tag_safe(&plain.join("_"));
    let tag = tag.trim_start_matches(['-', '.']).to_string();
    if !tag.is_empty() && tag.len() <= 128 {
        return tag;
    }
    let digest = sha2::Sha256::digest(plain.join("\n").as_bytes());
    let hash: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("args-{hash}")
}

/// The folder's `.dockerignore`, read as Docker reads it: every pattern anchored at the
/// folder, `!` for an exception, the last matching line winning. `None` without one.
fn dockerignore(dir: &Path) -> Result<Option<Gitignore>> {
    let path = dir.join(".dockerignore");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(None);
    };
    let mut builder = GitignoreBuilder::new(dir);
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (exception, pattern) = match line.strip_prefix('!') {
            Some(pattern) => ("!", pattern.trim()),
            None => ("", line),
        };
        let pattern = pattern.trim_matches('/');
        if !pattern.is_empty() {
            builder
                .add_line(None, &format!("{exception}/{pattern}"))
                .with_context(|| format!("{}: bad pattern `{line}`", path.display()))?;
        }
    }
    Ok(Some(builder.build().with_context(|| {
        format!("cannot read {}", path.display())
    })?))
}

/// Packs a folder as a build context, leaving out what its `.dockerignore` lists (the
/// Dockerfile and the `.dockerignore` itself are always sent, as Docker does).
fn context_tar(dir: &Path) -> Result<Vec<u8>> {
    let ignore = dockerignore(dir)?;
    let mut builder = tar::Builder::new(Vec::new());
    builder.follow_symlinks(true);
    let cannot_read = || format!("cannot read benchmark folder {}", dir.display());
    let mut pending = vec![PathBuf::new()];
    while let Some(relative) = pending.pop() {
        let mut entries: Vec<_> = std::fs::read_dir(dir.join(&relative))
            .with_context(cannot_read)?
            .collect::<std::io::Result<_>>()
            .with_context(cannot_read)?;
        entries.sort_by_key(|entry| entry.file_name());
        for entry in entries {
            let path = relative.join(entry.file_name());
            let full = entry.path();
            let is_dir = full.is_dir();
            let always = path == Path::new("Dockerfile") || path == Path::new(".dockerignore");
            if !always
                && ignore
                    .as_ref()
                    .is_some_and(|i| i.matched_path_or_any_parents(&path, is_dir).is_ignore())
            {
                continue;
            }
            if is_dir {
                builder.append_dir(&path, &full).with_context(cannot_read)?;
                pending.push(path);
            } else {
                builder
                    .append_path_with_name(&full, &path)
                    .with_context(cannot_read)?;
            }
        }
    }
    builder
        .into_inner()
        .context("cannot pack the build context")
}

const BUILD_LOG_TAIL: usize = 40;

impl DockerHost {
    /// Builds the image of a benchmark folder. The folder is the build context. Built
    /// images stay cached, so an unchanged folder builds again in moments.
    pub async fn build_benchmark(
        &self,
        dir: &Path,
        build_args: &BTreeMap<String, String>,
    ) -> Result<BuiltImage> {
        let name = benchmark_name(dir)?;
        let tag = tag_for(&name, dir, build_args);
        let buildargs: HashMap<String, String> = build_args.clone().into_iter().collect();
        let context = context_tar(dir)?;
        let image_labels = HashMap::from([
            (labels::CACHE.to_string(), "true".to_string()),
            ("io.pyrobench.benchmark".to_string(), name.clone()),
        ]);
        let options = BuildImageOptionsBuilder::default()
            .dockerfile("Dockerfile")
            .t(&tag)
            .rm(true)
            .forcerm(true)
            .labels(&image_labels)
            .buildargs(&buildargs)
            .build();
        let mut log = String::new();
        let mut stream =
            self.api
                .build_image(options, None, Some(bollard::body_full(context.into())));
        while let Some(item) = stream.next().await {
            match item {
                Ok(info) => {
                    if let Some(text) = info.stream {
                        log.push_str(&text);
                    }
                    if let Some(detail) = info.error_detail.and_then(|d| d.message) {
                        return Err(build_failure(dir, &detail, &log));
                    }
                }
                Err(error) => return Err(build_failure(dir, &error.to_string(), &log)),
            }
        }
        let id = self.image_id(&tag).await?;
        let config = self.image_config(&id).await?;
        let pull = config.pull_port(&name)?.is_some();
        Ok(BuiltImage {
            name,
            tag,
            id,
            service: config.is_service(),
            pull,
            build_args: build_args.clone(),
        })
    }

    pub async fn image_id(&self, reference: &str) -> Result<String> {
        let inspect = self
            .api
            .inspect_image(reference)
            .await
            .with_context(|| format!("image {reference} is not available"))?;
        Ok(inspect.id.unwrap_or_default())
    }

    pub async fn image_exists(&self, reference: &str) -> Result<bool> {
        match self.api.inspect_image(reference).await {
            Ok(_) => Ok(true),
            Err(error) if super::is_not_found(&error) => Ok(false),
            Err(error) => Err(error).context("cannot inspect image"),
        }
    }

    pub async fn image_config(&self, reference: &str) -> Result<ImageConfig> {
        let inspect = self.api.inspect_image(reference).await.with_context(|| {
            format!("image {reference} does not exist: build it first (build_image in a script)")
        })?;
        let config = inspect.config.unwrap_or_default();
        let mut tcp_ports: Vec<u16> = config
            .exposed_ports
            .unwrap_or_default()
            .iter()
            .filter_map(|port| port.strip_suffix("/tcp")?.parse().ok())
            .collect();
        tcp_ports.sort_unstable();
        Ok(ImageConfig {
            entrypoint: config.entrypoint.unwrap_or_default(),
            cmd: config.cmd.unwrap_or_default(),
            tcp_ports,
            labels: config.labels.unwrap_or_default().into_iter().collect(),
        })
    }
}

fn build_failure(dir: &Path, error: &str, log: &str) -> anyhow::Error {
    let lines: Vec<&str> = log.lines().filter(|l| !l.trim().is_empty()).collect();
    let tail = lines[lines.len().saturating_sub(BUILD_LOG_TAIL)..].join("\n");
    let hint = if looks_like_missing_base_image(error) {
        "\nhint: a base image is missing and nothing can be pulled here; make it with \
         scripts/base-image.sh (for example `scripts/base-image.sh bookworm`)"
    } else {
        ""
    };
    anyhow::anyhow!(
        "building {} failed: {}{hint}\n--- build log (last {} lines) ---\n{tail}",
        dir.display(),
        error.trim(),
        BUILD_LOG_TAIL
    )
}

fn looks_like_missing_base_image(error: &str) -> bool {
    let error = error.to_lowercase();
    [
        "pull access denied",
        "repository does not exist",
        "manifest unknown",
        "not found: manifest",
    ]
    .iter()
    .any(|needle| error.contains(needle))
        || (error.contains("registry") && (error.contains("dial") || error.contains("lookup")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_lowercase_safe_and_one_per_folder() {
        let root = std::env::temp_dir().join(format!("pyrobench-tags-{}", std::process::id()));
        let (x1, x2) = (root.join("x1/app"), root.join("x2/app"));
        std::fs::create_dir_all(&x1).unwrap();
        std::fs::create_dir_all(&x2).unwrap();
        let none = BTreeMap::new();
        let tag = tag_for("Fibonacci", &x1, &none);
        assert!(
            tag.starts_with("pyrobench/fibonacci-") && tag.ends_with(":latest"),
            "{tag}"
        );
        assert!(tag_for("my bench!", &x1, &none).starts_with("pyrobench/my-bench-"));
        assert_ne!(tag_for("app", &x1, &none), tag_for("app", &x2, &none));
        // The same folder, however it is named, has one tag.
        assert_eq!(
            tag_for("app", &x1, &none),
            tag_for("app", &root.join("x2/../x1/app"), &none)
        );
        // Build arguments are in the tag: one image per setting, readable.
        let args = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let versioned = tag_for(
            "app",
            &x1,
            &args(&[("AGENT_VERSION", "0.8.10"), ("RATE", "19")]),
        );
        assert!(
            versioned.ends_with(":AGENT_VERSION-0.8.10_RATE-19"),
            "{versioned}"
        );
        assert_ne!(
            versioned,
            tag_for(
                "app",
                &x1,
                &args(&[("AGENT_VERSION", "1.4.0"), ("RATE", "19")])
            )
        );
        let long = "x".repeat(200);
        let hashed = tag_for("app", &x1, &args(&[("A", long.as_str())]));
        let tag_part = hashed.rsplit(':').next().unwrap();
        assert!(
            tag_part.starts_with("args-") && tag_part.len() == 21,
            "{hashed}"
        );
        let odd = tag_for("app", &x1, &args(&[("V", "a/b c")]));
        assert!(odd.ends_with(":V-a-b-c"), "{odd}");
        std::fs::remove_dir_all(&root).unwrap();
    }

    /// The files a build context holds, by path.
    fn packed(dir: &Path) -> Vec<String> {
        let tar = context_tar(dir).unwrap();
        let mut archive = tar::Archive::new(tar.as_slice());
        let mut names: Vec<String> = archive
            .entries()
            .unwrap()
            .map(|e| e.unwrap().path().unwrap().display().to_string())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn the_build_context_leaves_out_what_dockerignore_lists() {
        let dir = std::env::temp_dir().join(format!("pyrobench-ignore-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for file in [
            "Dockerfile",
            "app.py",
            "big.bin",
            "logs/a.log",
            "logs/keep.log",
            "src/x.log",
            "src/main.rs",
            "target/debug/app",
        ] {
            let path = dir.join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "x").unwrap();
        }
        std::fs::write(
            dir.join(".dockerignore"),
            "# comment\nbig.bin\n/target/\nlogs/*.log\n!logs/keep.log\nDockerfile\n*.log\n",
        )
        .unwrap();
        let names = packed(&dir);
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(
            names,
            [
                ".dockerignore",
                "Dockerfile",
                "app.py",
                "logs",
                "logs/keep.log",
                "src",
                "src/main.rs",
                "src/x.log",
            ]
        );
    }

    #[test]
    fn cmd_override_replaces_cmd_but_keeps_entrypoint() {
        let command = ImageConfig {
            entrypoint: vec!["/bin/app".into()],
            cmd: vec!["--default".into()],
            ..Default::default()
        };
        assert_eq!(command.argv(None), ["/bin/app", "--default"]);
        assert_eq!(command.argv(Some(&["-x".to_string()])), ["/bin/app", "-x"]);
    }

    #[test]
    fn bad_folders_are_named_with_the_fix() {
        let missing = benchmark_name(Path::new("/no/such/folder")).unwrap_err();
        assert!(
            missing
                .to_string()
                .contains("/no/such/folder does not exist")
        );
        let empty = std::env::temp_dir().join(format!("pyrobench-empty-{}", std::process::id()));
        std::fs::create_dir_all(&empty).unwrap();
        let error = benchmark_name(&empty).unwrap_err().to_string();
        std::fs::remove_dir_all(&empty).unwrap();
        assert!(error.contains("has no Dockerfile"), "{error}");
    }

    #[test]
    fn pull_failures_get_the_base_image_hint() {
        assert!(looks_like_missing_base_image(
            "pull access denied for debian, repository does not exist"
        ));
        assert!(!looks_like_missing_base_image(
            "The command '/bin/sh -c false' returned a non-zero code: 1"
        ));
    }
}
