use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = gatehouse_server::cli::Cli::parse();
    match gatehouse_server::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gatehouse: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
