//! `ferry serve`: creates a JVM, builds the entry point and serves a ferry gateway.
//!
//! The listening port is the first line of stdout (and, with `--enable-auth`, a fresh token the
//! second), so launchers can read them; the gateway serves until a client sends the shutdown
//! command, the process gets SIGTERM, or (with `--die-on-exit`) stdin closes.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use base64::Engine as _;
use clap::{Args, Parser, Subcommand};
use ferry_engine::jni_raw::{Env, JType, JValue, JniError, Local};

#[derive(Parser)]
#[command(
    name = "ferry",
    version,
    about = "A fast, safe bridge between Python and the JVM, compatible with Py4J"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Start a JVM and serve a gateway that Py4J and ferry clients connect to
    Serve(ServeArgs),
}

#[derive(Args)]
struct ServeArgs {
    /// Class path of the application (entries separated by ':')
    #[arg(long, short = 'c', default_value = "")]
    classpath: String,
    /// Class whose instance clients reach as the entry point (`gateway.entry_point`);
    /// a public no-argument constructor, or a Scala object's `MODULE$`
    #[arg(long)]
    entry_point: Option<String>,
    /// TCP port (0 picks a free one)
    #[arg(long, default_value_t = 25333)]
    port: u16,
    /// Address to listen on
    #[arg(long, default_value = "127.0.0.1")]
    address: String,
    /// Also listen on a Unix domain socket at this path
    #[arg(long)]
    unix: Option<PathBuf>,
    /// Require clients to authenticate with the token read from this file
    #[arg(long, conflicts_with = "enable_auth")]
    auth_token_file: Option<PathBuf>,
    /// Require clients to authenticate with a fresh random token, printed as the second line
    #[arg(long)]
    enable_auth: bool,
    /// Exit when standard input closes (the launching process went away)
    #[arg(long)]
    die_on_exit: bool,
    /// Close connections idle for this many milliseconds (0: never)
    #[arg(long, default_value_t = 0)]
    read_timeout: u32,
    /// Pinned-thread mode (Py4J's ClientServer, PySpark's default): one socket per pair of
    /// threads, callbacks on the same socket and thread
    #[arg(long)]
    pinned_thread: bool,
    /// An option for the JVM (repeatable), e.g. --jvm-option=-Xmx2g
    #[arg(long = "jvm-option", allow_hyphen_values = true)]
    jvm_options: Vec<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Cmd::Serve(args) => match serve(args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("ferry serve: {e}");
                ExitCode::FAILURE
            }
        },
    }
}

fn random_token() -> Result<String, String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| format!("no randomness for the auth token: {e}"))?;
    Ok(base64::engine::general_purpose::STANDARD.encode(bytes))
}

fn serve(args: ServeArgs) -> Result<(), String> {
    let token = if args.enable_auth {
        Some(random_token()?)
    } else if let Some(path) = &args.auth_token_file {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the auth token file {}: {e}", path.display()))?;
        let t = text.trim_end_matches(['\r', '\n']).to_owned();
        if t.is_empty() {
            return Err(format!("the auth token file {} is empty", path.display()));
        }
        Some(t)
    } else {
        None
    };

    let config = ferry_server::launch::JvmConfig {
        classpath: if args.classpath.is_empty() {
            Vec::new()
        } else {
            vec![args.classpath.clone()]
        },
        options: args.jvm_options.clone(),
        reduce_signals: false,
    };
    let env = ferry_server::launch::start_jvm(&config)?;

    let server = env
        .with_frame(16, |env| -> Result<ferry_engine::jni_raw::Global, String> {
            let support = env.find_class(c"ferry/Support").map_err(|e| describe(env, e))?;
            let entry = match &args.entry_point {
                Some(name) => {
                    let mid = env
                        .static_method_id(support, c"instantiate", c"(Ljava/lang/String;)Ljava/lang/Object;")
                        .map_err(|e| describe(env, e))?;
                    let n = env.new_string(name).map_err(|e| describe(env, e))?;
                    // SAFETY: Support.instantiate(String) is static and returns an Object.
                    let v = unsafe { env.call_static(support, mid, JType::Object, &[JValue::Object(n).to_jvalue()]) }
                        .map_err(|e| format!("cannot create the entry point {name}: {}", describe(env, e)))?;
                    object(v)
                }
                None => Local::NULL,
            };
            let gs = env.find_class(c"ferry/GatewayServer").map_err(|e| describe(env, e))?;
            let launch = env
                .static_method_id(
                    gs,
                    c"launch",
                    c"(Ljava/lang/Object;Ljava/lang/String;ILjava/lang/String;Ljava/lang/String;IZ)Lferry/GatewayServer;",
                )
                .map_err(|e| describe(env, e))?;
            let address = env.new_string(&args.address).map_err(|e| describe(env, e))?;
            let unix = match &args.unix {
                Some(p) => env.new_string(&p.to_string_lossy()).map_err(|e| describe(env, e))?,
                None => Local::NULL,
            };
            let tok = match &token {
                Some(t) => env.new_string(t).map_err(|e| describe(env, e))?,
                None => Local::NULL,
            };
            let call_args = [
                JValue::Object(entry).to_jvalue(),
                JValue::Object(address).to_jvalue(),
                JValue::Int(i32::from(args.port)).to_jvalue(),
                JValue::Object(unix).to_jvalue(),
                JValue::Object(tok).to_jvalue(),
                JValue::Int(args.read_timeout as i32).to_jvalue(),
                JValue::Bool(args.pinned_thread).to_jvalue(),
            ];
            // SAFETY: GatewayServer.launch has exactly these seven parameters and returns an object.
            let v = unsafe { env.call_static(gs, launch, JType::Object, &call_args) }
                .map_err(|e| describe(env, e))?;
            env.new_global(object(v)).map_err(|e| describe(env, e))
        })
        .map_err(|e| describe(&env, e))??;

    let port = call_int(&env, &server, c"getListeningPort")?;
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{port}");
        if args.enable_auth
            && let Some(t) = &token
        {
            let _ = writeln!(out, "{t}");
        }
        let _ = out.flush();
    }

    if args.die_on_exit {
        std::thread::Builder::new()
            .name("ferry-stdin-watch".into())
            .spawn(|| {
                let mut sink = [0u8; 256];
                let mut stdin = std::io::stdin().lock();
                while matches!(stdin.read(&mut sink), Ok(n) if n > 0) {}
                std::process::exit(0);
            })
            .map_err(|e| format!("cannot watch stdin: {e}"))?;
    }

    call_void(&env, &server, c"awaitShutdown")?;
    drop(server);
    // Daemon threads may still hold the JVM; leave at once, as Py4J's server process does.
    std::process::exit(0)
}

fn object(v: JValue) -> Local {
    match v {
        JValue::Object(o) => o,
        _ => Local::NULL,
    }
}

fn call_int(
    env: &Env,
    obj: &ferry_engine::jni_raw::Global,
    name: &std::ffi::CStr,
) -> Result<i32, String> {
    let cls = env.object_class(obj.local());
    let mid = env
        .method_id(cls, name, c"()I")
        .map_err(|e| describe(env, e))?;
    // SAFETY: the method was looked up on the object's class with signature ()I.
    match unsafe { env.call_method(obj.local(), mid, JType::Int, &[]) }
        .map_err(|e| describe(env, e))?
    {
        JValue::Int(i) => Ok(i),
        _ => Err("unexpected result".into()),
    }
}

fn call_void(
    env: &Env,
    obj: &ferry_engine::jni_raw::Global,
    name: &std::ffi::CStr,
) -> Result<(), String> {
    let cls = env.object_class(obj.local());
    let mid = env
        .method_id(cls, name, c"()V")
        .map_err(|e| describe(env, e))?;
    // SAFETY: the method was looked up on the object's class with signature ()V.
    unsafe { env.call_method(obj.local(), mid, JType::Void, &[]) }.map_err(|e| describe(env, e))?;
    Ok(())
}

/// A readable message for a JNI failure: the Java exception's stack trace (without reflection
/// wrappers).
fn describe(env: &Env, e: JniError) -> String {
    match e {
        JniError::Failed(m) => m.to_owned(),
        JniError::Thrown(t) => {
            let text = env.find_class(c"ferry/Support").and_then(|s| {
                let mid = env.static_method_id(
                    s,
                    c"stackTrace",
                    c"(Ljava/lang/Throwable;)Ljava/lang/String;",
                )?;
                // SAFETY: Support.stackTrace(Throwable) is static and returns a String.
                match unsafe {
                    env.call_static(s, mid, JType::Object, &[JValue::Object(t).to_jvalue()])
                }? {
                    JValue::Object(s) => env.string(s),
                    _ => Ok("java.lang.Throwable".into()),
                }
            });
            text.map(|t| t.trim_end().to_owned())
                .unwrap_or_else(|_| "a Java exception was thrown".into())
        }
    }
}
