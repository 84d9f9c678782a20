//! Compiles proto/helloworld.proto into `$OUT_DIR/helloworld.rs`: protox
//! parses it in pure Rust (no protoc), prost-build writes the messages.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto/helloworld.proto");
    let fds = protox::compile(["proto/helloworld.proto"], ["proto"])?;
    prost_build::Config::new().compile_fds(fds)?;
    Ok(())
}
