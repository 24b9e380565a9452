//! ferry's Java glue classes, embedded at build time, for hosts that create the JVM themselves.

use ferry_engine::jni_raw::{Env, JResult, JType, JValue, JniError, Local};

include!(concat!(env!("OUT_DIR"), "/glue_classes.rs"));

/// Defines the glue classes in the system class loader, unless they are already there (ferry.jar
/// on the class path). Classes whose superclass is not defined yet are retried after the others.
pub fn define_glue_classes(env: &Env) -> JResult<()> {
    env.with_frame(32, |env| -> JResult<()> {
        if env.find_class(c"ferry/Native").is_ok() {
            return Ok(());
        }
        let loader = system_class_loader(env)?;
        let mut pending: Vec<&(&str, &[u8])> = GLUE_CLASSES.iter().collect();
        while !pending.is_empty() {
            let before = pending.len();
            let mut failed = Vec::new();
            let mut last_error = None;
            for entry in pending {
                let name = std::ffi::CString::new(entry.0)
                    .map_err(|_| JniError::Failed("bad class name"))?;
                match env.define_class(&name, loader, entry.1) {
                    Ok(c) => env.delete_local(c),
                    Err(e) => {
                        last_error = Some(e);
                        failed.push(entry);
                    }
                }
            }
            if failed.len() == before {
                return Err(last_error.unwrap_or(JniError::Failed("cannot define ferry's classes")));
            }
            pending = failed;
        }
        Ok(())
    })?
}

fn system_class_loader(env: &Env) -> JResult<Local> {
    let cl = env.find_class(c"java/lang/ClassLoader")?;
    let mid = env.static_method_id(cl, c"getSystemClassLoader", c"()Ljava/lang/ClassLoader;")?;
    // SAFETY: getSystemClassLoader is a static method of ClassLoader taking no argument and
    // returning an object.
    match unsafe { env.call_static(cl, mid, JType::Object, &[])? } {
        JValue::Object(o) => Ok(o),
        _ => Err(JniError::Failed("no system class loader")),
    }
}
