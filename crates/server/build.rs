//! Compiles ferry's Java glue (java/src) with javac and embeds the class files, so that hosts
//! which create the JVM themselves (the `ferry serve` command, a JVM inside Python) can define the
//! classes without a jar on the class path.

use std::path::{Path, PathBuf};
use std::process::Command;

fn java_home() -> PathBuf {
    if let Some(h) = std::env::var_os("JAVA_HOME") {
        return PathBuf::from(h);
    }
    // No JAVA_HOME: javac's real path, two folders up.
    let out = Command::new("sh")
        .args(["-c", "readlink -f \"$(command -v javac)\""])
        .output()
        .expect("cannot run sh to find javac");
    let javac = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    javac
        .parent()
        .and_then(Path::parent)
        .expect("javac not found: install a JDK or set JAVA_HOME")
        .to_path_buf()
}

fn collect(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| {
        panic!(
            "cannot read {} (the Java glue classes are compiled from there): {e}",
            dir.display()
        )
    });
    for entry in entries {
        let path = entry
            .unwrap_or_else(|e| panic!("cannot read an entry of {}: {e}", dir.display()))
            .path();
        if path.is_dir() {
            collect(&path, ext, out);
        } else if path.extension().is_some_and(|e| e == ext) {
            out.push(path);
        }
    }
}

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let src = manifest.join("../../java/src");
    println!("cargo:rerun-if-changed={}", src.display());
    println!("cargo:rerun-if-env-changed=JAVA_HOME");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    let classes = out.join("classes");
    let _ = std::fs::remove_dir_all(&classes);
    std::fs::create_dir_all(&classes).unwrap();
    let mut sources = Vec::new();
    collect(&src, "java", &mut sources);
    sources.sort();
    for s in &sources {
        println!("cargo:rerun-if-changed={}", s.display());
    }
    let status = Command::new(java_home().join("bin/javac"))
        .args(["--release", "8", "-Xlint:-options", "-d"])
        .arg(&classes)
        .args(&sources)
        .status()
        .expect("cannot run javac");
    assert!(status.success(), "javac failed on java/src");
    let mut class_files = Vec::new();
    collect(&classes, "class", &mut class_files);
    class_files.sort();
    let mut table = String::from(
        "/// The glue classes: (binary name, class file bytes).\npub static GLUE_CLASSES: &[(&str, &[u8])] = &[\n",
    );
    for f in &class_files {
        let rel = f.strip_prefix(&classes).unwrap().with_extension("");
        let name = rel.to_string_lossy().replace('\\', "/");
        table.push_str(&format!(
            "    ({name:?}, include_bytes!({:?})),\n",
            f.display().to_string()
        ));
    }
    table.push_str("];\n");
    std::fs::write(out.join("glue_classes.rs"), table).unwrap();
}
