# Shared by scripts/run and scripts/test (sourced, not executed): find Python ≥ 3.12, create .venv,
# install Tribu into it when pyproject.toml (or the extras asked for) changed since the last install.

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

python_ok() { # python_ok CMD: true when CMD runs and is Python ≥ 3.12
    "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1
}

find_python() {
    if [ -n "${TRIBU_PYTHON:-}" ]; then
        python_ok "$TRIBU_PYTHON" || die "TRIBU_PYTHON=$TRIBU_PYTHON is not Python ≥ 3.12"
        echo "$TRIBU_PYTHON"; return
    fi
    if [ -f .python-version ] && command -v pyenv >/dev/null 2>&1; then
        wanted=$(head -n1 .python-version | tr -d '[:space:]')
        found=$(PYENV_VERSION="$wanted" pyenv which python 2>/dev/null || true)
        if [ -n "$found" ] && python_ok "$found"; then echo "$found"; return; fi
        log "pyenv has no Python $wanted installed (pyenv install $wanted); looking for another Python ≥ 3.12"
    fi
    for candidate in python3.13 python3.12 python3; do
        if command -v "$candidate" >/dev/null 2>&1 && python_ok "$candidate"; then
            command -v "$candidate"; return
        fi
    done
    die "Python 3.12 or newer is needed (install python3.13, or set TRIBU_PYTHON=/path/to/python)"
}

bootstrap() { # bootstrap EXTRAS, e.g. bootstrap "" or bootstrap "[dev]"
    extras="$1"
    if [ ! -x .venv/bin/python ] || ! python_ok .venv/bin/python; then
        python=$(find_python)
        log "Creating .venv with $python ($("$python" --version 2>&1))"
        rm -rf .venv
        "$python" -m venv .venv || die "could not create .venv (on Debian: apt-get install python3-venv)"
    fi
    stamp=.venv/.tribu-installed
    wanted="$( (cat pyproject.toml; echo "extras=$extras") | .venv/bin/python -c 'import hashlib,sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())')"
    # A dev install also satisfies a plain one.
    if [ -f "$stamp" ] && { grep -qx "$wanted" "$stamp" || { [ -z "$extras" ] && [ -s "$stamp.base" ] && grep -qx "$wanted" "$stamp.base"; }; }; then
        return
    fi
    log "Installing Tribu$extras into .venv (pyproject.toml changed)"
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e ".$extras"
    echo "$wanted" > "$stamp"
    if [ -n "$extras" ]; then
        (cat pyproject.toml; echo "extras=") | .venv/bin/python -c 'import hashlib,sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())' > "$stamp.base"
    else
        rm -f "$stamp.base"
    fi
}
