//! weir-loadgen: the HTTP/1.1 client the benchmark harness needs where no
//! Debian package fits.
//!
//! * `rate`  — open loop at a fixed request rate over keep-alive connections,
//!   paced with nanosecond timeouts (`epoll_pwait2`, timer slack 1 ns) rather
//!   than a millisecond timer wheel, so requests are not sent in bursts.
//!   Latency is corrected for coordinated omission: a request that had to wait
//!   for a free connection is timed from the moment it was due; one that found
//!   a free connection is timed from when it was written (so the client's own
//!   wake-up jitter is not charged to the server).
//! * `count` — closed loop, exactly N requests over C connections (used to
//!   count instructions under callgrind, where a time-bounded run would not
//!   give a fixed number of requests).
//! * `hold`  — open N keep-alive connections one after the other, send one
//!   request on each, keep them open and idle until standard input closes
//!   (or `--max-hold` seconds), then report how many the server kept open.
//! * `tcp-sink` / `tcp-send` — raw TCP throughput (scenario s6-tcp): a sink
//!   that counts bytes and a client streaming through several connections at
//!   once (`tcp.rs`).
//!
//! The HTTP modes use one thread and nothing beyond libc; the TCP modes a
//! thread per connection. Results are one JSON object per line on standard
//! output. The gRPC echo server and client of scenario s6-grpc are a separate
//! binary, `weir-grpc-echo` (`src/bin/weir-grpc-echo.rs`).

use std::collections::VecDeque;
use std::io::{self, BufRead, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

mod tcp;

const USAGE: &str = "usage:
  weir-loadgen rate  --addr IP:PORT --rate N [--conns 50] [--duration 10] [--warmup 1] [REQ]
  weir-loadgen count --addr IP:PORT --requests N [--conns 50] [REQ]
  weir-loadgen hold  --addr IP:PORT --conns N [--max-hold 120] [REQ]
  weir-loadgen tcp-sink --listen IP:PORT
  weir-loadgen tcp-send --addr IP:PORT [--streams 4] [--duration 10] [--mib N] [--chunk 65536]
REQ: [--path /] [--host H] [--header 'Name: value']... | [--targets FILE] (lines 'HOST PATH')";

struct Args {
    mode: String,
    addr: SocketAddr,
    conns: usize,
    rate: f64,
    duration: f64,
    warmup: f64,
    requests: u64,
    max_hold: f64,
    reqs: Vec<Vec<u8>>,
}

fn die(msg: &str) -> ! {
    eprintln!("weir-loadgen: {msg}\n{USAGE}");
    std::process::exit(2)
}

fn parse_args() -> Args {
    let mut it = std::env::args().skip(1);
    let mode = it.next().unwrap_or_else(|| die("missing mode"));
    let (mut addr, mut conns, mut rate, mut duration, mut warmup) = (None, 50, 0.0, 10.0, 1.0);
    let (mut requests, mut max_hold) = (0u64, 120.0);
    let (mut path, mut host, mut headers, mut targets) = (
        "/".to_string(),
        None::<String>,
        Vec::<String>::new(),
        None::<String>,
    );
    while let Some(k) = it.next() {
        let v = it
            .next()
            .unwrap_or_else(|| die(&format!("{k} needs a value")));
        let num = |v: &str| {
            v.parse::<f64>()
                .unwrap_or_else(|_| die(&format!("{k}: not a number")))
        };
        match k.as_str() {
            "--addr" => addr = Some(v.parse().unwrap_or_else(|_| die("--addr: want IP:PORT"))),
            "--conns" => conns = num(&v) as usize,
            "--rate" => rate = num(&v),
            "--duration" => duration = num(&v),
            "--warmup" => warmup = num(&v),
            "--requests" => requests = num(&v) as u64,
            "--max-hold" => max_hold = num(&v),
            "--path" => path = v,
            "--host" => host = Some(v),
            "--header" => headers.push(v),
            "--targets" => targets = Some(v),
            _ => die(&format!("unknown option {k}")),
        }
    }
    let addr: SocketAddr = addr.unwrap_or_else(|| die("--addr is required"));
    let build = |host: &str, path: &str| {
        let mut r = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\n");
        for h in &headers {
            r.push_str(h);
            r.push_str("\r\n");
        }
        r.push_str("\r\n");
        r.into_bytes()
    };
    let reqs = match targets {
        Some(file) => {
            let f = std::fs::File::open(&file).unwrap_or_else(|e| die(&format!("{file}: {e}")));
            let v: Vec<Vec<u8>> = io::BufReader::new(f)
                .lines()
                .map_while(Result::ok)
                .filter_map(|l| {
                    let mut p = l.split_whitespace();
                    Some(build(p.next()?, p.next()?))
                })
                .collect();
            if v.is_empty() {
                die("--targets: no 'HOST PATH' lines");
            }
            v
        }
        None => vec![build(host.as_deref().unwrap_or(&addr.to_string()), &path)],
    };
    if conns == 0 {
        die("--conns must be at least 1");
    }
    Args {
        mode,
        addr,
        conns,
        rate,
        duration,
        warmup,
        requests,
        max_hold,
        reqs,
    }
}

/// Outcome of parsing the bytes received so far on a connection.
#[derive(Debug, PartialEq)]
enum Parsed {
    Incomplete,
    /// A whole response: its length in the buffer, its status, and whether
    /// the server will close the connection after it.
    Done {
        len: usize,
        status: u16,
        close: bool,
    },
    Invalid,
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if hay.len() < from + needle.len() {
        return None;
    }
    hay[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// Minimal HTTP/1.1 response framing: Content-Length or chunked.
fn parse_response(buf: &[u8]) -> Parsed {
    let Some(head_end) = find(buf, b"\r\n\r\n", 0) else {
        return if buf.len() > 65536 {
            Parsed::Invalid
        } else {
            Parsed::Incomplete
        };
    };
    if buf.len() < 12 || !buf.starts_with(b"HTTP/1.") {
        return Parsed::Invalid;
    }
    let status = match std::str::from_utf8(&buf[9..12])
        .ok()
        .and_then(|s| s.parse().ok())
    {
        Some(s) => s,
        None => return Parsed::Invalid,
    };
    let (mut clen, mut chunked, mut close) = (None::<usize>, false, buf.starts_with(b"HTTP/1.0"));
    for line in buf[..head_end].split(|&b| b == b'\n').skip(1) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let name = &line[..colon];
        let value = String::from_utf8_lossy(&line[colon + 1..])
            .trim()
            .to_ascii_lowercase();
        if name.eq_ignore_ascii_case(b"content-length") {
            clen = value.parse().ok();
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            chunked = value.contains("chunked");
        } else if name.eq_ignore_ascii_case(b"connection") {
            close = value.contains("close");
        }
    }
    let body = head_end + 4;
    if status == 204 || status == 304 || (100..200).contains(&status) {
        return Parsed::Done {
            len: body,
            status,
            close,
        };
    }
    if chunked {
        let mut p = body;
        loop {
            let Some(eol) = find(buf, b"\r\n", p) else {
                return Parsed::Incomplete;
            };
            let size_txt = String::from_utf8_lossy(&buf[p..eol]);
            let size_txt = size_txt.split(';').next().unwrap_or("").trim();
            let Ok(size) = usize::from_str_radix(size_txt, 16) else {
                return Parsed::Invalid;
            };
            if size == 0 {
                let t = eol + 2;
                if buf.len() >= t + 2 && &buf[t..t + 2] == b"\r\n" {
                    return Parsed::Done {
                        len: t + 2,
                        status,
                        close,
                    };
                }
                return match find(buf, b"\r\n\r\n", t) {
                    Some(e) => Parsed::Done {
                        len: e + 4,
                        status,
                        close,
                    },
                    None => Parsed::Incomplete,
                };
            }
            p = eol + 2 + size + 2;
            if buf.len() < p {
                return Parsed::Incomplete;
            }
        }
    }
    match clen {
        Some(n) if buf.len() >= body + n => Parsed::Done {
            len: body + n,
            status,
            close,
        },
        Some(_) => Parsed::Incomplete,
        None => Parsed::Invalid, // read-until-close bodies are not used by the harness
    }
}

struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
    busy: bool,
    /// When the latency of the request in flight starts counting.
    ref_ns: u64,
    send_ns: u64,
    measured: bool,
}

struct Clock(Instant);
impl Clock {
    fn ns(&self) -> u64 {
        self.0.elapsed().as_nanos() as u64
    }
}

fn connect(addr: SocketAddr) -> io::Result<TcpStream> {
    let s = TcpStream::connect(addr)?;
    s.set_nodelay(true)?;
    Ok(s)
}

struct Epoll(i32);
impl Epoll {
    fn new() -> Epoll {
        // SAFETY: plain syscall wrappers on descriptors this program owns.
        let fd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        assert!(fd >= 0, "epoll_create1 failed");
        Epoll(fd)
    }
    fn add(&self, fd: i32, token: usize) {
        let mut ev = libc::epoll_event {
            events: (libc::EPOLLIN | libc::EPOLLRDHUP) as u32,
            u64: token as u64,
        };
        let r = unsafe { libc::epoll_ctl(self.0, libc::EPOLL_CTL_ADD, fd, &mut ev) };
        assert!(
            r == 0,
            "epoll_ctl add failed: {}",
            io::Error::last_os_error()
        );
    }
    fn del(&self, fd: i32) {
        unsafe { libc::epoll_ctl(self.0, libc::EPOLL_CTL_DEL, fd, std::ptr::null_mut()) };
    }
    /// Wait with a nanosecond timeout (epoll_pwait2, Linux 5.11+).
    fn wait(&self, events: &mut [libc::epoll_event], timeout_ns: u64) -> usize {
        let ts = libc::timespec {
            tv_sec: (timeout_ns / 1_000_000_000) as libc::time_t,
            tv_nsec: (timeout_ns % 1_000_000_000) as libc::c_long,
        };
        let n = unsafe {
            libc::syscall(
                libc::SYS_epoll_pwait2,
                self.0,
                events.as_mut_ptr(),
                events.len() as libc::c_int,
                &ts as *const libc::timespec,
                std::ptr::null::<libc::sigset_t>(),
                0usize,
            )
        };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                return 0;
            }
            panic!("epoll_pwait2: {e}");
        }
        n as usize
    }
}

#[derive(Default)]
struct Stats {
    sent: u64,
    completed: u64,
    measured: u64,
    errors: u64,
    non2xx: u64,
    reconnects: u64,
    queued: u64,
    max_backlog: usize,
    lat: Vec<u64>,
    lat_uncorrected: Vec<u64>,
    send_lag: Vec<u64>,
}

fn pct(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((p / 100.0 * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i] as f64 / 1000.0
}

fn summary(v: &mut [u64]) -> String {
    v.sort_unstable();
    let mean = if v.is_empty() {
        0.0
    } else {
        v.iter().sum::<u64>() as f64 / v.len() as f64 / 1000.0
    };
    format!(
        "{{\"p50\":{:.1},\"p90\":{:.1},\"p99\":{:.1},\"p999\":{:.1},\"p9999\":{:.1},\"max\":{:.1},\"mean\":{:.1}}}",
        pct(v, 50.0),
        pct(v, 90.0),
        pct(v, 99.0),
        pct(v, 99.9),
        pct(v, 99.99),
        pct(v, 100.0),
        mean
    )
}

/// `rate` and `count`: one event loop over `conns` keep-alive connections.
fn run_load(a: &Args, paced: bool) {
    // Sleep precisely: the default 50 µs timer slack would add to every wait.
    unsafe {
        libc::syscall(
            libc::SYS_prctl,
            29, /* PR_SET_TIMERSLACK */
            1u64,
            0u64,
            0u64,
            0u64,
        )
    };
    let ep = Epoll::new();
    let mut conns: Vec<Conn> = Vec::with_capacity(a.conns);
    for i in 0..a.conns {
        let s = connect(a.addr).unwrap_or_else(|e| die(&format!("connect {}: {e}", a.addr)));
        s.set_nonblocking(true).expect("nonblocking");
        ep.add(s.as_raw_fd(), i);
        conns.push(Conn {
            stream: s,
            buf: Vec::with_capacity(32768),
            busy: false,
            ref_ns: 0,
            send_ns: 0,
            measured: false,
        });
    }
    let clock = Clock(Instant::now());
    let mut free: Vec<usize> = (0..a.conns).rev().collect();
    let mut st = Stats::default();
    let interval = if paced { 1e9 / a.rate } else { 0.0 };
    let t0 = clock.ns() + 5_000_000;
    let warm_end = t0 + (a.warmup * 1e9) as u64;
    let end = warm_end + (a.duration * 1e9) as u64;
    let drain_deadline = end + 2_000_000_000;
    let (mut k, mut starved_upto, mut in_flight, mut rr) = (0u64, 0u64, 0usize, 0usize);
    let mut backlog: VecDeque<(u64, u64)> = VecDeque::new(); // (index, due time)
    let mut events = vec![libc::epoll_event { events: 0, u64: 0 }; 256];
    let mut rbuf = vec![0u8; 65536];
    let due = |k: u64| t0 + (k as f64 * interval) as u64;
    loop {
        let now = clock.ns();
        // Requests that became due join the backlog.
        if paced {
            while due(k) <= now && due(k) < end {
                backlog.push_back((k, due(k)));
                k += 1;
            }
        } else {
            while k < a.requests && backlog.len() < free.len() {
                backlog.push_back((k, now));
                k += 1;
            }
        }
        st.max_backlog = st.max_backlog.max(backlog.len());
        // Dispatch as many as there are idle connections.
        while let Some(&(idx, due_ns)) = backlog.front() {
            let Some(ci) = free.pop() else {
                starved_upto = k; // every request now in the backlog waits for a connection
                break;
            };
            backlog.pop_front();
            let req = &a.reqs[rr % a.reqs.len()];
            rr += 1;
            let c = &mut conns[ci];
            let send_ns = clock.ns();
            match c.stream.write(req) {
                Ok(n) if n == req.len() => {}
                _ => {
                    st.errors += 1;
                    reconnect(a, &ep, &mut conns, ci, &mut st);
                    free.push(ci);
                    continue;
                }
            }
            let queued = paced && idx < starved_upto;
            st.queued += queued as u64;
            c.busy = true;
            c.send_ns = send_ns;
            c.ref_ns = if queued { due_ns } else { send_ns };
            c.measured = !paced || due_ns >= warm_end;
            if c.measured && paced {
                st.send_lag.push(send_ns.saturating_sub(due_ns));
            }
            st.sent += 1;
            in_flight += 1;
        }
        let now = clock.ns();
        let finished = if paced {
            now >= end && backlog.is_empty()
        } else {
            k >= a.requests && backlog.is_empty()
        };
        if finished && in_flight == 0 {
            break;
        }
        if paced && now >= drain_deadline {
            st.errors += in_flight as u64 + backlog.len() as u64; // never answered
            break;
        }
        let timeout = if paced && backlog.is_empty() && due(k) < end {
            due(k).saturating_sub(now)
        } else {
            100_000_000
        };
        let n = ep.wait(&mut events, timeout);
        for ev in &events[..n] {
            let ci = ev.u64 as usize;
            let mut eof = false;
            loop {
                match conns[ci].stream.read(&mut rbuf) {
                    Ok(0) => {
                        eof = true;
                        break;
                    }
                    Ok(m) => conns[ci].buf.extend_from_slice(&rbuf[..m]),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(_) => {
                        eof = true;
                        break;
                    }
                }
            }
            let c = &mut conns[ci];
            let was_busy = c.busy;
            let mut close = false;
            if c.busy {
                match parse_response(&c.buf) {
                    Parsed::Done {
                        len,
                        status,
                        close: cl,
                    } => {
                        let done = clock.ns();
                        c.busy = false;
                        in_flight -= 1;
                        st.completed += 1;
                        if !(200..300).contains(&status) {
                            st.non2xx += 1;
                        }
                        if c.measured {
                            st.measured += 1;
                            st.lat.push(done - c.ref_ns);
                            st.lat_uncorrected.push(done - c.send_ns);
                        }
                        c.buf.drain(..len);
                        close = cl || !c.buf.is_empty();
                    }
                    Parsed::Incomplete if !eof => continue,
                    _ => {
                        c.busy = false;
                        in_flight -= 1;
                        st.errors += 1;
                        close = true;
                    }
                }
            } else if !eof {
                // bytes nobody asked for
                st.errors += 1;
                close = true;
            }
            if close || eof {
                reconnect(a, &ep, &mut conns, ci, &mut st);
            }
            if was_busy {
                free.push(ci); // an idle connection is in `free` already
            }
        }
    }
    let elapsed = if paced {
        a.duration
    } else {
        clock.ns().saturating_sub(t0) as f64 / 1e9
    };
    let rps = if paced {
        st.measured as f64 / a.duration
    } else {
        st.completed as f64 / elapsed
    };
    println!(
        "{{\"mode\":\"{}\",\"conns\":{},\"target_rate\":{},\"duration_s\":{:.3},\"sent\":{},\"completed\":{},\"measured\":{},\"errors\":{},\"non2xx\":{},\"reconnects\":{},\"queued\":{},\"max_backlog\":{},\"rps\":{:.1},\"latency_us\":{},\"latency_uncorrected_us\":{},\"send_lag_us\":{}}}",
        a.mode,
        a.conns,
        a.rate,
        elapsed,
        st.sent,
        st.completed,
        st.measured,
        st.errors,
        st.non2xx,
        st.reconnects,
        st.queued,
        st.max_backlog,
        rps,
        summary(&mut st.lat),
        summary(&mut st.lat_uncorrected),
        summary(&mut st.send_lag)
    );
}

fn reconnect(a: &Args, ep: &Epoll, conns: &mut [Conn], ci: usize, st: &mut Stats) {
    ep.del(conns[ci].stream.as_raw_fd());
    st.reconnects += 1;
    let s = connect(a.addr).unwrap_or_else(|e| die(&format!("reconnect {}: {e}", a.addr)));
    s.set_nonblocking(true).expect("nonblocking");
    ep.add(s.as_raw_fd(), ci);
    conns[ci].stream = s;
    conns[ci].buf.clear();
}

/// `hold`: N idle keep-alive connections, each having completed one request.
fn run_hold(a: &Args) {
    let started = Instant::now();
    let mut held = Vec::with_capacity(a.conns);
    let (mut errors, mut non2xx) = (0u64, 0u64);
    let mut rbuf = vec![0u8; 65536];
    for i in 0..a.conns {
        let mut one = || -> io::Result<(TcpStream, u16)> {
            let mut s = connect(a.addr)?;
            s.set_read_timeout(Some(Duration::from_secs(5)))?;
            s.write_all(&a.reqs[i % a.reqs.len()])?;
            let mut buf = Vec::new();
            loop {
                let m = s.read(&mut rbuf)?;
                if m == 0 {
                    return Err(io::ErrorKind::UnexpectedEof.into());
                }
                buf.extend_from_slice(&rbuf[..m]);
                match parse_response(&buf) {
                    Parsed::Done { status, .. } => return Ok((s, status)),
                    Parsed::Incomplete => continue,
                    Parsed::Invalid => return Err(io::ErrorKind::InvalidData.into()),
                }
            }
        };
        match one() {
            Ok((s, status)) => {
                non2xx += !(200..300).contains(&status) as u64;
                held.push(s);
            }
            Err(e) => {
                errors += 1;
                if errors == 1 {
                    eprintln!("weir-loadgen hold: connection {i}: {e}");
                }
            }
        }
    }
    println!(
        "{{\"mode\":\"hold\",\"open\":{},\"errors\":{},\"non2xx\":{},\"elapsed_s\":{:.3}}}",
        held.len(),
        errors,
        non2xx,
        started.elapsed().as_secs_f64()
    );
    io::stdout().flush().ok();
    // Hold until standard input closes, bounded by --max-hold.
    let mut pfd = libc::pollfd {
        fd: 0,
        events: libc::POLLIN,
        revents: 0,
    };
    let deadline = Instant::now() + Duration::from_secs_f64(a.max_hold);
    let mut sink = [0u8; 256];
    while Instant::now() < deadline {
        let left = deadline
            .saturating_duration_since(Instant::now())
            .as_millis()
            .min(1000) as i32;
        let r = unsafe { libc::poll(&mut pfd, 1, left) };
        if r > 0 {
            match io::stdin().read(&mut sink) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    }
    // Which connections did the server keep open while they were idle?
    let (mut alive, mut closed) = (0u64, 0u64);
    for s in &held {
        s.set_nonblocking(true).ok();
        let mut b = [0u8; 1];
        match (&*s).read(&mut b) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => alive += 1,
            _ => closed += 1,
        }
    }
    println!("{{\"mode\":\"hold-end\",\"alive\":{alive},\"closed\":{closed}}}");
}

fn main() {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    match argv.first().map(String::as_str) {
        Some("tcp-sink") => return tcp::sink(&argv[1..]),
        Some("tcp-send") => return tcp::send(&argv[1..]),
        _ => {}
    }
    let a = parse_args();
    match a.mode.as_str() {
        "rate" if a.rate > 0.0 => run_load(&a, true),
        "count" if a.requests > 0 => run_load(&a, false),
        "hold" => run_hold(&a),
        "rate" => die("rate needs --rate"),
        "count" => die("count needs --requests"),
        m => die(&format!("unknown mode {m}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framing() {
        let r = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
        assert_eq!(
            parse_response(r),
            Parsed::Done {
                len: r.len(),
                status: 200,
                close: false
            }
        );
        assert_eq!(parse_response(&r[..r.len() - 1]), Parsed::Incomplete);
        let c = b"HTTP/1.1 404 x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n2\r\nok\r\n0\r\n\r\n";
        assert_eq!(
            parse_response(c),
            Parsed::Done {
                len: c.len(),
                status: 404,
                close: true
            }
        );
        assert_eq!(parse_response(&c[..c.len() - 2]), Parsed::Incomplete);
        let t = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n0\r\nX: y\r\n\r\n";
        assert_eq!(
            parse_response(t),
            Parsed::Done {
                len: t.len(),
                status: 200,
                close: false
            }
        );
    }
}
