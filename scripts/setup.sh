#!/usr/bin/env bash
# Installs everything Wyvern's build, tests and benchmarks need on Debian 12.
# Idempotent: packages already present are left alone. Runs as root (CI) or via sudo.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  # build
  build-essential cmake ninja-build pkg-config
  # libraries
  libboost-dev libboost-system-dev liblmdb-dev nlohmann-json3-dev libssl-dev catch2
  libcpp-httplib-dev libvalijson-dev libpcre2-dev
  zlib1g-dev libgoogle-perftools-dev
  # real AWS clients that speak SQS's Query/XML protocol
  awscli python3-boto3
  # benchmarks
  wrk
  # used by scripts and tests (openssl and python3-cryptography check SNS signatures)
  curl procps openssl python3-cryptography
  # the web console's browser tests (tests/console) drive Debian's headless Chromium
  chromium
)

missing=()
# The JS SDK v3 (JSON protocol) runs on Node.js. This machine kind ships Node 20 with npm;
# Debian's own nodejs/npm are only a fallback for a machine that has none.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then packages+=(nodejs npm); fi
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# npm packages for the JavaScript end-to-end tests (pinned in tests/e2e/js/package.json and
# its lock file), installed when any of them is missing.
npm_deps_missing() {
  node -e 'const p=require(process.argv[1]+"/package.json"); const fs=require("fs");
    const deps=Object.keys({...p.dependencies, ...p.devDependencies});
    process.exit(deps.every(d=>fs.existsSync(process.argv[1]+"/node_modules/"+d))?1:0)' "$1"
}
if [ -f tests/e2e/js/package.json ] && npm_deps_missing "$PWD/tests/e2e/js"; then
  (cd tests/e2e/js && npm install --no-audit --no-fund --loglevel=error)
fi

# The web console (broker/console): its npm packages (pinned in its package.json and lock file)
# and its build into broker/console/dist, which the broker serves at /_wyvern/console. The
# broker never runs Node.js; only this step does. Rebuilt when dist is missing or older than
# any source file.
console=broker/console
if [ -f $console/package.json ]; then
  if npm_deps_missing "$PWD/$console"; then
    if [ -f $console/package-lock.json ]; then
      (cd $console && npm ci --no-audit --no-fund --loglevel=error)
    else
      (cd $console && npm install --no-audit --no-fund --loglevel=error)
    fi
  fi
  if [ ! -f $console/dist/index.html ] ||
     [ -n "$(find $console/src $console/index.html $console/style.css $console/build.mjs \
               $console/package-lock.json -newer $console/dist/index.html 2>/dev/null | head -1)" ]; then
    (cd $console && npm run build --silent)
  fi
fi
# The console's browser tests (Playwright's driver only: the browser is Debian's chromium).
if [ -f tests/console/package.json ] && npm_deps_missing "$PWD/tests/console"; then
  (cd tests/console && npm install --no-audit --no-fund --loglevel=error)
fi
