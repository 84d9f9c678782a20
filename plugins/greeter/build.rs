//! Compiles proto/helloworld.proto: protox parses it in pure Rust (no
//! protoc), prost-build writes the messages to `$OUT_DIR/helloworld.rs`,
//! and the encoded `FileDescriptorSet` goes to `$OUT_DIR/greeter.bin`,
//! which `service!(descriptors = …)` hands to the server (reflection,
//! health, the journal as JSON, stubs in the plugin's place).

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto/helloworld.proto");
    let fds = protox::compile(["proto/helloworld.proto"], ["proto"])?;
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").ok_or("OUT_DIR is not set")?);
    std::fs::write(
        out_dir.join("greeter.bin"),
        prost::Message::encode_to_vec(&fds),
    )?;
    prost_build::Config::new().compile_fds(fds)?;
    Ok(())
}
