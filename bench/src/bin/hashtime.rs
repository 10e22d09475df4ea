//! Times one argon2id hash, single-threaded, with the same crate, version and
//! construction tessera's identity module uses (crates/identity/src/password.rs):
//! an `argon2_rust::Hasher` kept between hashes. A verification is the same
//! computation, so `verify_ms_median` equals `hash_ms_median`. Beside it, the
//! RustCrypto `argon2` crate tessera used before, interleaved in the same run
//! (`rustcrypto_hash_ms_median`). Prints one JSON line.
//!
//! Usage: hashtime [--m KIB] [--t ITER] [--p LANES] [--n COUNT] [--warmup COUNT]

use std::process::ExitCode;
use std::time::Instant;

struct Opts {
    m: u32,
    t: u32,
    p: u32,
    n: usize,
    warmup: usize,
}

fn parse() -> Result<Opts, String> {
    let mut o = Opts { m: 19456, t: 2, p: 1, n: 30, warmup: 3 };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let num = |v: &str| v.parse::<u64>().map_err(|e| format!("{flag} {v}: {e}"));
        let small = |v: &str| u32::try_from(num(v)?).map_err(|e| format!("{flag} {v}: {e}"));
        match flag.as_str() {
            "--m" => o.m = small(&value)?,
            "--t" => o.t = small(&value)?,
            "--p" => o.p = small(&value)?,
            "--n" => o.n = usize::try_from(num(&value)?).map_err(|e| e.to_string())?.max(1),
            "--warmup" => o.warmup = usize::try_from(num(&value)?).map_err(|e| e.to_string())?,
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    Ok(o)
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 }
}

fn run(o: &Opts) -> Result<String, String> {
    let password = b"bench password 12345 xyz";
    let salt = b"bench salt 16 by";
    // tessera's construction (crates/identity/src/password.rs): one argon2-rust
    // Hasher per hashing thread, its arena kept between hashes.
    let params = argon2_rust::Params::builder()
        .memory(argon2_rust::params::Memory::kib(u64::from(o.m)))
        .passes(o.t)
        .lanes(o.p)
        .threads(1)
        .build()
        .map_err(|e| e.to_string())?;
    let mut ours =
        argon2_rust::Argon2::new(argon2_rust::Algorithm::Argon2id, argon2_rust::Version::V0x13, params).hasher();
    // The RustCrypto crate tessera used before, with its memory reused the same way.
    let rc_params = argon2::Params::new(o.m, o.t, o.p, None).map_err(|e| e.to_string())?;
    let rc = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, rc_params.clone());
    let mut rc_memory = vec![argon2::Block::default(); rc_params.block_count()];
    let (mut tag, mut rc_tag) = ([0u8; 32], [0u8; 32]);
    let (mut hash_ms, mut rc_ms) = (Vec::with_capacity(o.n), Vec::with_capacity(o.n));
    // Interleaved, so both see the same machine.
    for i in 0..o.warmup + o.n {
        let t0 = Instant::now();
        ours.hash_into(password, salt, &mut tag).map_err(|e| e.to_string())?;
        let t1 = Instant::now();
        rc.hash_password_into_with_memory(password, salt, &mut rc_tag, &mut rc_memory[..])
            .map_err(|e| e.to_string())?;
        let t2 = Instant::now();
        if tag != rc_tag {
            return Err("the two implementations disagree".into());
        }
        if i >= o.warmup {
            hash_ms.push((t1 - t0).as_secs_f64() * 1e3);
            rc_ms.push((t2 - t1).as_secs_f64() * 1e3);
        }
    }
    let min = hash_ms.iter().copied().fold(f64::INFINITY, f64::min);
    let max = hash_ms.iter().copied().fold(0.0, f64::max);
    let mean = hash_ms.iter().sum::<f64>() / hash_ms.len() as f64;
    let hash_median = median(&mut hash_ms);
    let rc_median = median(&mut rc_ms);
    Ok(format!(
        concat!(
            "{{\"algorithm\":\"argon2id\",\"version\":\"0x13\",\"implementation\":\"argon2-rust/{:?}\",",
            "\"m_kib\":{},\"t\":{},\"p\":{},\"n\":{},\"hash_ms_median\":{:.3},\"hash_ms_min\":{:.3},",
            "\"hash_ms_max\":{:.3},\"hash_ms_mean\":{:.3},\"verify_ms_median\":{:.3},",
            "\"rustcrypto_hash_ms_median\":{:.3}}}"
        ),
        argon2_rust::detected_backend(),
        o.m,
        o.t,
        o.p,
        o.n,
        hash_median,
        min,
        max,
        mean,
        hash_median,
        rc_median
    ))
}

fn main() -> ExitCode {
    match parse().and_then(|o| run(&o)) {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("hashtime: {e}");
            ExitCode::FAILURE
        }
    }
}
