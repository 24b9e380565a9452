//! One JVM for the test process (a JNI rule), started with `-Xcheck:jni` so the JVM checks
//! every JNI call ferry makes, with ferry's glue classes defined and natives registered.

#![allow(dead_code)]

use std::sync::OnceLock;

use ferry_engine::Engine;
use ferry_engine::jni_raw::{self, Env, JValue, Local};
use jni::{InitArgsBuilder, JNIVersion, JavaVM};

pub fn jvm() -> &'static JavaVM {
    static JVM: OnceLock<JavaVM> = OnceLock::new();
    JVM.get_or_init(|| {
        let args = InitArgsBuilder::new()
            .version(JNIVersion::V1_8)
            .option("-Xcheck:jni")
            .option("-Xrs")
            .build()
            .expect("JVM options");
        let vm = JavaVM::new(args).expect("cannot create the JVM");
        jni_raw::set_vm(vm.get_raw());
        let env = Env::attach_named("test-setup").expect("attach");
        ferry_server::glue::define_glue_classes(&env).expect("glue classes");
        ferry_server::natives::register_natives(&env).expect("natives");
        vm
    })
}

pub fn env() -> Env {
    jvm();
    Env::current_or_attach().expect("attach")
}

/// An engine whose entry point is a `java.lang.StringBuilder("entry")`.
pub fn engine(env: &Env) -> Engine {
    env.with_frame(8, |env| {
        let cls = env.find_class(c"java/lang/StringBuilder").unwrap();
        let ctor = env
            .method_id(cls, c"<init>", c"(Ljava/lang/String;)V")
            .unwrap();
        let s = env.new_string("entry").unwrap();
        // SAFETY: StringBuilder(String) with one String argument.
        let sb = unsafe { env.new_object(cls, ctor, &[JValue::Object(s).to_jvalue()]) }.unwrap();
        Engine::new(env, sb, Local::NULL).unwrap()
    })
    .unwrap()
}
