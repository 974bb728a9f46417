//! Asks for the network in `render`: takes the instance's network, creates
//! a TCP socket and connects it to 127.0.0.1 on `params.port`. The sandbox
//! links `wasi:sockets` (CPython and StarlingMonkey import it) but refuses
//! every use, so each step must fail; the plugin reports the first refusal
//! (or "connected", which the sandbox tests treat as an escape) as its one
//! warning.

use patchart_sdk::{Chart, ChartPlugin, Dataset, Measure, PluginInfo, RenderError, Style};

mod wasi_sockets {
    wit_bindgen::generate!({ path: "wit", world: "socket", generate_all });
}

use wasi_sockets::wasi::sockets::network::{IpAddressFamily, IpSocketAddress, Ipv4SocketAddress};
use wasi_sockets::wasi::sockets::{instance_network, tcp_create_socket};

struct Socket;

/// The port in `{"port": 1234}`; 9 (discard) when absent.
fn port(params: &str) -> u16 {
    let digits: String = params
        .split("\"port\"")
        .nth(1)
        .unwrap_or("")
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().unwrap_or(9)
}

fn connect(port: u16) -> String {
    let network = instance_network::instance_network();
    let socket = match tcp_create_socket::create_tcp_socket(IpAddressFamily::Ipv4) {
        Ok(s) => s,
        Err(e) => return format!("refused: create-tcp-socket: {e:?}"),
    };
    let address = IpSocketAddress::Ipv4(Ipv4SocketAddress {
        port,
        address: (127, 0, 0, 1),
    });
    if let Err(e) = socket.start_connect(&network, address) {
        return format!("refused: start-connect: {e:?}");
    }
    socket.subscribe().block();
    match socket.finish_connect() {
        Ok(_) => "connected".to_string(),
        Err(e) => format!("refused: finish-connect: {e:?}"),
    }
}

impl ChartPlugin for Socket {
    fn info() -> PluginInfo {
        patchart_sdk::testing::hostile_info("hostile_socket", "Asks for the network.")
    }

    fn render(_: &Dataset, params: &str, _: &Style, _: &dyn Measure) -> Result<Chart, RenderError> {
        Ok(Chart {
            svg: patchart_sdk::testing::MINIMAL_SVG.to_string(),
            chart_data: patchart_sdk::testing::MINIMAL_CHART_DATA.to_string(),
            warnings: vec![connect(port(params))],
        })
    }
}

patchart_sdk::export_plugin!(Socket);
