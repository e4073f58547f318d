//! Compiles `proto/weir_test.proto` into the gRPC test service and client.
//! protoc comes from `protoc-bin-vendored`, so no system protoc is needed.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Pass the vendored protoc through the prost config rather than setting
    // `PROTOC`: `env::set_var` is unsafe in edition 2024 and the workspace
    // forbids unsafe code. An explicit PROTOC still wins, for machines where
    // the vendored binary cannot run.
    let mut config = tonic_prost_build::Config::new();
    match std::env::var_os("PROTOC") {
        Some(protoc) => config.protoc_executable(protoc),
        None => config.protoc_executable(protoc_bin_vendored::protoc_bin_path()?),
    };
    println!("cargo:rerun-if-env-changed=PROTOC");
    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        .compile_with_config(config, &["proto/weir_test.proto"], &["proto"])?;
    Ok(())
}
