fn main() {
    std::process::exit(logscrub::app::main());
}
