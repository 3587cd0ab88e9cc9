//! The live progress line on a terminal: cases done of the total, failures so far, elapsed time.
//!
//! Drawn only when stderr is a terminal (and not with `--quiet` or `--no-progress`), so it never
//! reaches a pipe, a file or a report. libtest's own output goes to stdout unchanged; when
//! stdout or stderr is the terminal too, their file descriptors are routed through pipes that a
//! relay thread copies to the terminal, erasing the progress line before each chunk and drawing
//! it again after, so lines never mix. While a line is unfinished (`test x ... ` with one
//! test thread) the progress line is drawn on the row below and the cursor put back.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The run's own lines on the console: `imgconf: …` on stderr, apart from libtest's case lines
/// on stdout. While the progress line is drawn, stderr goes through its relay, which keeps
/// these lines off it.
#[derive(Clone, Copy, Debug, Default)]
pub struct Console;

impl Console {
    pub fn note(&self, text: &str) {
        eprintln!("imgconf: {text}");
    }

    pub fn warn(&self, text: &str) {
        eprintln!("imgconf: WARNING: {text}");
    }

    /// Notices of the auth code (a token renewed while the run goes on), as console lines.
    pub fn notify(self) -> crate::auth::Notify {
        Arc::new(move |text: &str| self.note(text))
    }
}

#[derive(Default)]
struct Counts {
    done: AtomicUsize,
    failed: AtomicUsize,
}

/// What the cases report to; drawing happens only if the line is on.
#[derive(Default)]
pub struct Counter {
    counts: Arc<Counts>,
    line: Option<Arc<Line>>,
}

impl Counter {
    /// Counts a case as done when the guard drops, however the case ends: skipped after an
    /// interrupt, failed, or a panic unwinding through it (counted as a failure).
    pub fn on_drop(&self) -> Done<'_> {
        Done {
            counter: self,
            failed: false,
        }
    }
}

pub struct Done<'a> {
    counter: &'a Counter,
    failed: bool,
}

impl Done<'_> {
    pub fn failed(&mut self, failed: bool) {
        self.failed = failed;
    }
}

impl Drop for Done<'_> {
    fn drop(&mut self) {
        let c = self.counter;
        c.counts.done.fetch_add(1, Ordering::SeqCst);
        if self.failed || std::thread::panicking() {
            c.counts.failed.fetch_add(1, Ordering::SeqCst);
        }
        if let Some(line) = &c.line {
            line.redraw();
        }
    }
}

/// The progress line and what it takes to keep it apart from other output; [`Progress::finish`]
/// erases it and gives the terminal back.
pub struct Progress {
    pub counter: Arc<Counter>,
    #[cfg(unix)]
    active: Option<unix::Active>,
}

impl Progress {
    /// A progress line over `total` cases when `wanted` and stderr is a terminal; otherwise only
    /// the counts.
    pub fn start(total: usize, wanted: bool) -> Progress {
        #[cfg(unix)]
        {
            use std::io::IsTerminal;
            if wanted && std::io::stderr().is_terminal() {
                let counts = Arc::new(Counts::default());
                if let Some(active) = unix::Active::start(total, counts.clone()) {
                    return Progress {
                        counter: Arc::new(Counter {
                            counts,
                            line: Some(active.line.clone()),
                        }),
                        active: Some(active),
                    };
                }
            }
        }
        let _ = (total, wanted);
        Progress {
            counter: Arc::default(),
            #[cfg(unix)]
            active: None,
        }
    }

    /// Whether stdout (a terminal) now goes through a pipe, so that libtest cannot see the
    /// terminal itself.
    pub fn routes_stdout(&self) -> bool {
        #[cfg(unix)]
        if let Some(a) = &self.active {
            return a.routes(libc::STDOUT_FILENO);
        }
        false
    }

    pub fn finish(self) {
        #[cfg(unix)]
        if let Some(a) = self.active {
            a.finish();
        }
    }
}

/// The terminal and where its cursor is, behind one lock.
pub struct Line {
    state: Mutex<State>,
    counts: Arc<Counts>,
    total: usize,
    started: Instant,
    stopped: AtomicBool,
}

struct State {
    /// Where everything ends up: the terminal as it was before the pipes.
    out: std::fs::File,
    /// Column of the cursor in the output's current row (escape sequences not counted).
    col: usize,
    /// Inside an escape sequence of the output (colours).
    in_escape: bool,
    /// The progress line is on the screen: on the cursor's row (`Some(0)`) or below it.
    drawn: Option<usize>,
}

impl Line {
    fn text(&self) -> String {
        format!(
            "{}/{} cases done, {} failed, {} s",
            self.counts.done.load(Ordering::SeqCst),
            self.total,
            self.counts.failed.load(Ordering::SeqCst),
            self.started.elapsed().as_secs()
        )
    }

    fn redraw(&self) {
        if self.stopped.load(Ordering::SeqCst) {
            return;
        }
        let text = self.text();
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.erase();
        s.draw(&text);
    }

    /// Copies a chunk of the program's own output to the terminal around the line.
    fn relay(&self, chunk: &[u8], target: &mut std::fs::File) {
        use std::io::Write;
        let text = (!self.stopped.load(Ordering::SeqCst)).then(|| self.text());
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.erase();
        let _ = target.write_all(chunk);
        let _ = target.flush();
        s.advance(chunk);
        if let Some(text) = text {
            s.draw(&text);
        }
    }
}

impl State {
    fn put(&mut self, bytes: &str) {
        use std::io::Write;
        let _ = self.out.write_all(bytes.as_bytes());
        let _ = self.out.flush();
    }

    fn back_to_col(&self) -> String {
        if self.col > 0 {
            format!("\r\x1b[{}C", self.col)
        } else {
            "\r".into()
        }
    }

    fn draw(&mut self, text: &str) {
        if self.col == 0 {
            self.put(&format!("\r\x1b[2K{text}\r"));
            self.drawn = Some(0);
        } else {
            // Below the unfinished row, then back to where the output stopped.
            let back = self.back_to_col();
            self.put(&format!("\n\x1b[2K{text}\x1b[1A{back}"));
            self.drawn = Some(1);
        }
    }

    fn erase(&mut self) {
        match self.drawn.take() {
            None => {}
            Some(0) => self.put("\r\x1b[2K"),
            Some(_) => {
                let back = self.back_to_col();
                self.put(&format!("\x1b[1B\r\x1b[2K\x1b[1A{back}"));
            }
        }
    }

    /// Follows the cursor's column through output written to the terminal.
    fn advance(&mut self, chunk: &[u8]) {
        for ch in String::from_utf8_lossy(chunk).chars() {
            match ch {
                '\x1b' => self.in_escape = true,
                c if self.in_escape && c.is_ascii_alphabetic() => self.in_escape = false,
                _ if self.in_escape => {}
                '\n' | '\r' => self.col = 0,
                c if !c.is_control() => self.col += 1,
                _ => {}
            }
        }
    }
}

#[cfg(unix)]
mod unix {
    use super::*;
    use std::io::{Read, Write};
    use std::os::fd::{FromRawFd, RawFd};

    /// File descriptors routed through pipes, their relay threads and the ticker.
    pub struct Active {
        pub line: Arc<Line>,
        /// (fd, saved copy of the original) for stdout and/or stderr.
        routed: Vec<(RawFd, RawFd)>,
        relays: Vec<std::thread::JoinHandle<()>>,
        ticker: Option<(std::sync::mpsc::Sender<()>, std::thread::JoinHandle<()>)>,
    }

    fn dup(fd: RawFd) -> Option<RawFd> {
        // SAFETY: dup of a descriptor of this process; the result is checked.
        let d = unsafe { libc::dup(fd) };
        (d >= 0).then_some(d)
    }

    impl Active {
        pub fn start(total: usize, counts: Arc<Counts>) -> Option<Active> {
            use std::io::IsTerminal;
            // SAFETY: a fresh descriptor from dup, owned by the File from here on.
            let out = unsafe { std::fs::File::from_raw_fd(dup(libc::STDERR_FILENO)?) };
            let line = Arc::new(Line {
                state: Mutex::new(State {
                    out,
                    col: 0,
                    in_escape: false,
                    drawn: None,
                }),
                counts,
                total,
                started: Instant::now(),
                stopped: AtomicBool::new(false),
            });
            let mut active = Active {
                line,
                routed: Vec::new(),
                relays: Vec::new(),
                ticker: None,
            };
            let _ = std::io::stdout().flush();
            if std::io::stdout().is_terminal() && active.route(libc::STDOUT_FILENO).is_none() {
                active.finish();
                return None;
            }
            if active.route(libc::STDERR_FILENO).is_none() {
                active.finish();
                return None;
            }
            // Elapsed time moves on between cases too.
            let (stop, stopped) = std::sync::mpsc::channel::<()>();
            let line = active.line.clone();
            let ticker = std::thread::spawn(move || {
                while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                    stopped.recv_timeout(Duration::from_millis(500))
                {
                    line.redraw();
                }
            });
            active.ticker = Some((stop, ticker));
            active.line.redraw();
            Some(active)
        }

        pub fn routes(&self, fd: RawFd) -> bool {
            self.routed.iter().any(|(f, _)| *f == fd)
        }

        /// fd now writes into a pipe whose other end a relay thread copies to the original.
        fn route(&mut self, fd: RawFd) -> Option<()> {
            let saved = dup(fd)?;
            let target = dup(saved)?;
            let mut ends = [0; 2];
            // SAFETY: pipe fills two descriptors on success; checked.
            if unsafe { libc::pipe(ends.as_mut_ptr()) } != 0 {
                // SAFETY: both are ours and used nowhere else.
                unsafe {
                    libc::close(saved);
                    libc::close(target);
                }
                return None;
            }
            let [read_end, write_end] = ends;
            // SAFETY: fd now points at the pipe; the pipe's own write descriptor is closed so
            // that the pipe ends when fd is restored.
            unsafe {
                libc::dup2(write_end, fd);
                libc::close(write_end);
            }
            self.routed.push((fd, saved));
            let line = self.line.clone();
            self.relays.push(std::thread::spawn(move || {
                // SAFETY: both descriptors were created above and are owned here alone.
                let mut pipe = unsafe { std::fs::File::from_raw_fd(read_end) };
                let mut target = unsafe { std::fs::File::from_raw_fd(target) };
                let mut buf = vec![0u8; 16 * 1024];
                loop {
                    match pipe.read(&mut buf) {
                        Ok(0) => return,
                        Ok(n) => line.relay(&buf[..n], &mut target),
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                        Err(_) => return,
                    }
                }
            }));
            Some(())
        }

        /// Erases the line, gives stdout and stderr back and waits for the relays to drain.
        pub fn finish(mut self) {
            if let Some((stop, ticker)) = self.ticker.take() {
                let _ = stop.send(());
                let _ = ticker.join();
            }
            let _ = std::io::stdout().flush();
            let _ = std::io::stderr().flush();
            self.line.stopped.store(true, Ordering::SeqCst);
            self.line
                .state
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .erase();
            for (fd, saved) in self.routed.drain(..) {
                // SAFETY: puts the original back (closing the pipe's last write descriptor, so
                // the relay sees the end) and drops the saved copy.
                unsafe {
                    libc::dup2(saved, fd);
                    libc::close(saved);
                }
            }
            for r in self.relays.drain(..) {
                let _ = r.join();
            }
        }
    }
}
