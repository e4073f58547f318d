//! Raw TCP throughput (scenario s6-tcp): a sink server and a streaming client.
//!
//! * `tcp-sink --listen IP:PORT` — accepts connections (a thread each), reads
//!   until the peer half-closes, then answers with the number of bytes it
//!   received (8 bytes, little endian) and closes.
//! * `tcp-send --addr IP:PORT [--streams 4] [--duration 10] [--mib N]
//!   [--chunk 65536]` — opens `--streams` connections at once, each writing
//!   `--chunk`-byte blocks until `--duration` seconds have passed or it has
//!   sent `--mib` MiB, then half-closes and waits for the sink's count. Only
//!   bytes the sink confirmed count; a stream whose count differs from what
//!   it sent is an error. Prints one JSON line: bytes, seconds, MiB/s,
//!   Gbit/s.
//!
//! The half-close also checks that the proxy passes it on (without that the
//! sink would never answer and the stream would time out).

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct SendArgs {
    addr: SocketAddr,
    streams: usize,
    duration: f64,
    mib: f64,
    chunk: usize,
}

fn die(msg: &str) -> ! {
    eprintln!(
        "weir-loadgen: {msg}\nusage:\n  weir-loadgen tcp-sink --listen IP:PORT\n  \
         weir-loadgen tcp-send --addr IP:PORT [--streams 4] [--duration 10] [--mib N] [--chunk 65536]"
    );
    std::process::exit(2)
}

fn opts(args: &[String]) -> Vec<(String, String)> {
    args.chunks(2)
        .map(|kv| match kv {
            [k, v] => (k.clone(), v.clone()),
            [k] => die(&format!("{k} needs a value")),
            _ => unreachable!(),
        })
        .collect()
}

/// `tcp-sink`: count what each connection sends, answer the count on EOF.
pub fn sink(args: &[String]) {
    let mut listen = None;
    for (k, v) in opts(args) {
        match k.as_str() {
            "--listen" => listen = Some(v),
            _ => die(&format!("unknown option {k}")),
        }
    }
    let listen = listen.unwrap_or_else(|| die("--listen is required"));
    let l = TcpListener::bind(&listen).unwrap_or_else(|e| die(&format!("bind {listen}: {e}")));
    eprintln!("tcp-sink listening on {}", l.local_addr().unwrap());
    for conn in l.incoming() {
        let Ok(mut s) = conn else { continue };
        std::thread::spawn(move || {
            let mut buf = vec![0u8; 256 * 1024];
            let mut n: u64 = 0;
            loop {
                match s.read(&mut buf) {
                    Ok(0) => break,
                    Ok(k) => n += k as u64,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(_) => return,
                }
            }
            let _ = s.write_all(&n.to_le_bytes());
            let _ = s.shutdown(Shutdown::Write);
        });
    }
}

fn parse_send(args: &[String]) -> SendArgs {
    let (mut addr, mut streams, mut duration, mut mib, mut chunk) = (None, 4, 10.0, 0.0, 65536);
    for (k, v) in opts(args) {
        let num = |v: &str| {
            v.parse::<f64>()
                .unwrap_or_else(|_| die(&format!("{k}: not a number")))
        };
        match k.as_str() {
            "--addr" => addr = Some(v.parse().unwrap_or_else(|_| die("--addr: want IP:PORT"))),
            "--streams" => streams = num(&v) as usize,
            "--duration" => duration = num(&v),
            "--mib" => mib = num(&v),
            "--chunk" => chunk = num(&v) as usize,
            _ => die(&format!("unknown option {k}")),
        }
    }
    if streams == 0 || chunk == 0 {
        die("--streams and --chunk must be at least 1");
    }
    if duration <= 0.0 && mib <= 0.0 {
        die("give --duration or --mib");
    }
    SendArgs {
        addr: addr.unwrap_or_else(|| die("--addr is required")),
        streams,
        duration,
        mib,
        chunk,
    }
}

/// One stream: (bytes sent, bytes the sink confirmed), or an error.
fn one_stream(
    a: &SendArgs,
    stop: &AtomicBool,
    deadline: Option<Instant>,
) -> io::Result<(u64, u64)> {
    let mut s = TcpStream::connect(a.addr)?;
    s.set_nodelay(true)?;
    s.set_read_timeout(Some(Duration::from_secs(60)))?;
    s.set_write_timeout(Some(Duration::from_secs(60)))?;
    let block = vec![0x5au8; a.chunk];
    let limit = if a.mib > 0.0 {
        (a.mib * 1048576.0) as u64
    } else {
        u64::MAX
    };
    let mut sent: u64 = 0;
    let mut since_check = 0u32;
    while sent < limit {
        let n = (limit - sent).min(block.len() as u64) as usize;
        s.write_all(&block[..n])?;
        sent += n as u64;
        since_check += 1;
        if since_check >= 16 {
            since_check = 0;
            if stop.load(Ordering::Relaxed) || deadline.is_some_and(|d| Instant::now() >= d) {
                break;
            }
        }
    }
    s.shutdown(Shutdown::Write)?;
    let mut ack = [0u8; 8];
    s.read_exact(&mut ack)?;
    Ok((sent, u64::from_le_bytes(ack)))
}

/// `tcp-send`: stream through, report throughput of the confirmed bytes.
pub fn send(args: &[String]) {
    let a = Arc::new(parse_send(args));
    let stop = Arc::new(AtomicBool::new(false));
    let t0 = Instant::now();
    let deadline = (a.duration > 0.0).then(|| t0 + Duration::from_secs_f64(a.duration));
    let handles: Vec<_> = (0..a.streams)
        .map(|_| {
            let (a, stop) = (a.clone(), stop.clone());
            std::thread::spawn(move || {
                let r = one_stream(&a, &stop, deadline);
                if r.is_err() {
                    stop.store(true, Ordering::Relaxed);
                }
                r
            })
        })
        .collect();
    let (mut sent, mut acked, mut errors) = (0u64, 0u64, 0u64);
    let mut first_error = String::new();
    for h in handles {
        match h.join().expect("stream thread panicked") {
            Ok((s, k)) => {
                sent += s;
                acked += k;
                if s != k {
                    errors += 1;
                    first_error = format!("sink counted {k} of {s} bytes");
                }
            }
            Err(e) => {
                errors += 1;
                if first_error.is_empty() {
                    first_error = e.to_string();
                }
            }
        }
    }
    let secs = t0.elapsed().as_secs_f64();
    let mib_s = acked as f64 / 1048576.0 / secs;
    println!(
        "{{\"mode\":\"tcp-send\",\"streams\":{},\"chunk\":{},\"bytes_sent\":{sent},\"bytes\":{acked},\
         \"elapsed_s\":{secs:.4},\"mib_s\":{mib_s:.1},\"gbit_s\":{:.3},\"errors\":{errors},\
         \"first_error\":{:?}}}",
        a.streams,
        a.chunk,
        acked as f64 * 8.0 / 1e9 / secs,
        first_error
    );
}
