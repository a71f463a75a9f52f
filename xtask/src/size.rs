//! `cargo xtask size`: build the `no_std` size probes (the whole flow machine on canned bytes)
//! for `thumbv7em-none-eabihf` with opt-level "z", LTO and panic=abort, and report their section
//! sizes, read from the ELF section headers with the `object` crate.

use std::fmt::Write as _;

use object::{Object as _, ObjectSection as _, SectionKind};

use crate::bench::{DOC, SIZE_HEADING, target_dir, today};
use crate::ci::{NO_STD_TARGET, ensure_target};
use crate::{cargo, step, workspace_root};

/// The flash budget for the whole machine.
const BUDGET: u64 = 96 * 1024;

/// `(crate directory under benches/, binary name, what it is, RUSTFLAGS)`.
const PROBES: [(&str, &str, &str, &str); 2] = [
    (
        "size-probe",
        "size-probe",
        "embedded profile: `idna_adapter` pinned to 1.0 (ASCII hosts only), `sha2_backend_soft=\"compact\"`",
        // sha2's documented switch from the unrolled to the rolled-up SHA-256 rounds.
        "--cfg sha2_backend_soft=\"compact\"",
    ),
    (
        "size-probe-unicode",
        "size-probe-unicode",
        "default: `idna_adapter` 1.2 with Unicode IDNA tables, unrolled SHA-256",
        "",
    ),
];

/// Section sizes of one probe.
struct Sizes {
    text: u64,
    rodata: u64,
    data: u64,
    bss: u64,
    flash: u64,
}

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    if let Some(a) = args.first() {
        return Err(format!("`size` takes no arguments (got `{a}`)"));
    }
    build_all()?;
    let mut out = String::new();
    let _ = writeln!(out, "{SIZE_HEADING}\n");
    let _ = writeln!(
        out,
        "The whole `AuthFlow` machine (discovery, DCR, PKCE, authorization URL, redirect, code \
         exchange, refresh timer, persist + restore) on canned bytes, in a `#![no_std]` \
         `#![no_main]` binary with a bump allocator (`benches/size-probe`), built for \
         `{NO_STD_TARGET}` with opt-level \"z\", LTO, codegen-units 1, panic=abort. Flash = \
         code and read-only data sections plus the initial values of `.data`; `.bss` is RAM \
         (48 KiB of it is the probe's heap). Budget: ≤ {} KiB flash. {} ({}).\n",
        BUDGET / 1024,
        machine_rustc(),
        today()
    );
    let _ = writeln!(out, "Reproduce: `cargo xtask size`.\n");
    out.push_str("| Build | .text | .rodata | .data | flash | .bss | ≤ 96 KiB |\n");
    out.push_str("|---|---:|---:|---:|---:|---:|---|\n");
    for (dir, bin, what, _) in PROBES {
        let path = target_dir()
            .join("size-probe")
            .join(dir)
            .join(NO_STD_TARGET)
            .join("release")
            .join(bin);
        let s = sizes(&path)?;
        let _ = writeln!(
            out,
            "| {what} | {} | {} | {} | **{}** | {} | {} |",
            kib(s.text),
            kib(s.rodata),
            kib(s.data),
            kib(s.flash),
            kib(s.bss),
            if s.flash <= BUDGET { "✅" } else { "❌" }
        );
    }
    out.push_str(
        "\nThe embedded profile uses two documented size switches. SHA-256: `sha2`'s README \
         documents `--cfg sha2_backend_soft=\"compact\"` (RUSTFLAGS) to disable the unrolled \
         round loops (a smaller, slower compression function). IDNA: the mechanism the \
         `idna_adapter` README documents for turning it off: pin `idna_adapter` to the 1.0.x stub in the application's lockfile \
         (`cargo update -p idna_adapter --precise 1.0.0`); the probe makes the pin explicit \
         with a direct `idna_adapter = \"~1.0\"` dependency. Per that README, non-ASCII domain \
         names are then rejected and UTS 46 checks on Punycode labels are not enforced; ASCII \
         hosts work unchanged (no document in the corpus's `as-metadata/` or `prm/` has a \
         non-ASCII byte).\n",
    );
    println!("\n{out}");

    let path = workspace_root().join(DOC);
    let old = std::fs::read_to_string(&path).unwrap_or_default();
    let keep = old
        .find(SIZE_HEADING)
        .map_or(old.as_str(), |at| old.get(..at).unwrap_or_default());
    let mut doc = keep.trim_end().to_owned();
    if !doc.is_empty() {
        doc.push_str("\n\n");
    }
    doc.push_str(&out);
    std::fs::write(&path, doc).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    println!("wrote {}", path.display());
    Ok(())
}

/// Build every probe (also used by `cargo xtask ci`).
pub(crate) fn build_all() -> Result<(), String> {
    ensure_target(NO_STD_TARGET)?;
    for (dir, _, what, rustflags) in PROBES {
        let manifest = workspace_root()
            .join("benches")
            .join(dir)
            .join("Cargo.toml");
        // One target directory per probe: their flags differ, so a shared one would rebuild
        // every dependency on each switch.
        let target = target_dir().join("size-probe").join(dir);
        step(
            &format!("size probe ({what})"),
            cargo()
                .args(["build", "--release", "--locked", "--target", NO_STD_TARGET])
                .arg("--manifest-path")
                .arg(&manifest)
                .arg("--target-dir")
                .arg(&target)
                .env("RUSTFLAGS", rustflags),
        )?;
    }
    Ok(())
}

fn sizes(path: &std::path::Path) -> Result<Sizes, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let file = object::File::parse(&*bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut s = Sizes {
        text: 0,
        rodata: 0,
        data: 0,
        bss: 0,
        flash: 0,
    };
    for section in file.sections() {
        let name = section.name().unwrap_or_default();
        let size = section.size();
        // Flash holds code, read-only data and the initial values of `.data`.
        let in_flash = matches!(
            section.kind(),
            SectionKind::Text
                | SectionKind::Data
                | SectionKind::ReadOnlyData
                | SectionKind::ReadOnlyDataWithRel
                | SectionKind::ReadOnlyString
        );
        if name == ".text" || name.starts_with(".text.") {
            s.text += size;
        } else if name == ".rodata" || name.starts_with(".rodata.") {
            s.rodata += size;
        } else if name == ".data" || name.starts_with(".data.") {
            s.data += size;
        } else if name == ".bss" || name.starts_with(".bss.") {
            s.bss += size;
        }
        if in_flash {
            s.flash += size;
        }
    }
    Ok(s)
}

/// `12.3 KiB (12 595 B)`.
fn kib(bytes: u64) -> String {
    #[allow(clippy::cast_precision_loss, reason = "sizes are far below 2^52")]
    let k = bytes as f64 / 1024.0;
    format!("{k:.1} KiB ({bytes} B)")
}

fn machine_rustc() -> String {
    std::process::Command::new(std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into()))
        .arg("-V")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|_| "rustc unknown".into())
}
