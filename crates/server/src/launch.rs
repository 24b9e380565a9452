//! Creating a JVM in this process: finding one, starting it with the invocation API, and making
//! ferry's Java glue and native methods ready in it. Used by `ferry serve` and by the embedded
//! mode (a JVM inside a Python process).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use ferry_engine::jni_raw::{self, Env};
use jni::{InitArgsBuilder, JNIVersion, JavaVM};

/// A JVM found on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JvmLocation {
    /// The Java home (the folder holding `bin/java`).
    pub java_home: PathBuf,
    /// Its `libjvm.so`.
    pub libjvm: PathBuf,
    /// The major version, from the home's `release` file.
    pub major: Option<u32>,
}

fn libjvm_in(home: &Path) -> Option<PathBuf> {
    [
        "lib/server/libjvm.so",
        "jre/lib/amd64/server/libjvm.so",
        "lib/amd64/server/libjvm.so",
    ]
    .iter()
    .map(|rel| home.join(rel))
    .find(|p| p.is_file())
}

fn major_version(home: &Path) -> Option<u32> {
    let release = std::fs::read_to_string(home.join("release")).ok()?;
    let line = release.lines().find(|l| l.starts_with("JAVA_VERSION="))?;
    let version = line.trim_start_matches("JAVA_VERSION=").trim_matches('"');
    let mut parts = version.split(['.', '_', '-']);
    let first: u32 = parts.next()?.parse().ok()?;
    if first == 1 {
        parts.next()?.parse().ok()
    } else {
        Some(first)
    }
}

fn which(exe: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(exe))
        .find(|p| p.is_file())
}

/// Finds a JVM: `JAVA_HOME` first, then `java` and `javac` on `PATH` (their real paths, two
/// folders up). The error names everything that was tried.
pub fn locate_jvm() -> Result<JvmLocation, String> {
    let mut tried = Vec::new();
    let found = |home: PathBuf| {
        libjvm_in(&home).map(|libjvm| JvmLocation {
            major: major_version(&home),
            java_home: home,
            libjvm,
        })
    };
    if let Some(home) = std::env::var_os("JAVA_HOME").filter(|h| !h.is_empty()) {
        let home = PathBuf::from(home);
        if let Some(l) = found(home.clone()) {
            return Ok(l);
        }
        tried.push(format!(
            "JAVA_HOME={} (no lib/server/libjvm.so in it)",
            home.display()
        ));
    } else {
        tried.push("JAVA_HOME (not set)".to_owned());
    }
    for exe in ["java", "javac"] {
        match which(exe) {
            Some(p) => {
                let real = std::fs::canonicalize(&p).unwrap_or(p.clone());
                let home = real.parent().and_then(Path::parent).map(Path::to_path_buf);
                if let Some(l) = home.clone().and_then(found) {
                    return Ok(l);
                }
                tried.push(format!(
                    "{exe} on PATH at {} (no libjvm.so in {})",
                    real.display(),
                    home.map_or_else(|| "its parent".into(), |h| h.display().to_string())
                ));
            }
            None => tried.push(format!("{exe} on PATH (not found)")),
        }
    }
    Err(format!(
        "no Java runtime found; tried: {}. Install a JDK (17 or later) or set JAVA_HOME.",
        tried.join("; ")
    ))
}

/// How to start the JVM.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct JvmConfig {
    /// Class path entries.
    pub classpath: Vec<String>,
    /// Extra JVM options.
    pub options: Vec<String>,
    /// Pass `-Xrs` (the JVM leaves SIGINT and friends to the host: needed inside Python), and
    /// `-XX:+DisableAttachMechanism` unless an option names the attach mechanism.
    pub reduce_signals: bool,
}

static STARTED: OnceLock<(JvmConfig, JvmLocation)> = OnceLock::new();

/// The configuration the process's JVM was started with by [`start_jvm`], if it was.
pub fn started() -> Option<&'static (JvmConfig, JvmLocation)> {
    STARTED.get()
}

/// Starts the process's one JVM (a JNI rule), defines ferry's glue classes in it and registers
/// the native methods, and returns the calling thread's environment (attached as a daemon).
///
/// A second call with the same configuration returns the running JVM; with another, an error.
pub fn start_jvm(config: &JvmConfig) -> Result<Env, String> {
    if let Some((running, _)) = STARTED.get() {
        if running != config {
            return Err(format!(
                "a JVM already runs in this process with other options ({running:?}); a process \
                 holds one JVM, started once"
            ));
        }
        return Env::current_or_attach().ok_or_else(|| "cannot attach to the JVM".to_owned());
    }
    let location = locate_jvm()?;
    let mut builder = InitArgsBuilder::new().version(JNIVersion::V1_8);
    if !config.classpath.is_empty() {
        builder = builder.option(format!("-Djava.class.path={}", config.classpath.join(":")));
    }
    if config.reduce_signals {
        builder = builder.option("-Xrs");
        // With -Xrs the JVM opens its attach socket at start-up (it cannot wait for SIGQUIT):
        // a JVM inside another program opens no socket unless its options ask for one.
        if !config.options.iter().any(|o| o.contains("AttachMechanism")) {
            builder = builder.option("-XX:+DisableAttachMechanism");
        }
    }
    // Java 22+ warns about native code unless it is allowed.
    if location.major.is_some_and(|m| m >= 22)
        && !config
            .options
            .iter()
            .any(|o| o.starts_with("--enable-native-access"))
    {
        builder = builder.option("--enable-native-access=ALL-UNNAMED");
    }
    for opt in &config.options {
        builder = builder.option(opt.clone());
    }
    let init = builder
        .build()
        .map_err(|e| format!("bad JVM options: {e}"))?;
    let libjvm = location.libjvm.clone();
    let vm = JavaVM::with_libjvm(init, || Ok(libjvm)).map_err(|e| {
        format!(
            "cannot start the JVM from {}: {e}",
            location.libjvm.display()
        )
    })?;
    jni_raw::set_vm(vm.get_raw());
    let _ = STARTED.set((config.clone(), location));
    let env = Env::attach_named("main").ok_or("cannot attach to the JVM")?;
    crate::glue::define_glue_classes(&env)
        .map_err(|e| format!("cannot define ferry's classes: {e:?}"))?;
    crate::natives::register_natives(&env)
        .map_err(|e| format!("cannot register ferry's natives: {e:?}"))?;
    Ok(env)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_machine_has_a_jvm_with_a_version() {
        let l = locate_jvm().expect("a JDK is installed here");
        assert!(l.libjvm.is_file());
        assert!(l.major.unwrap_or(0) >= 8, "{l:?}");
    }
}
