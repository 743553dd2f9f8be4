#!/usr/bin/env bash
# Runs every Vigil test on a fresh Debian machine with Go installed:
# installs the AWS CLI and boto3 (real clients the tests drive) and Node (for
# the policy differential test) if missing, then runs the Go tests,
# end-to-end ones included.
set -euo pipefail
cd "$(dirname "$0")"
need=()
command -v aws >/dev/null 2>&1 || need+=(awscli)
python3 -c 'import boto3' >/dev/null 2>&1 || need+=(python3-boto3)
[ -d /usr/lib/python3/dist-packages/botocore/data ] || need+=(python3-botocore)
# Node runs @cloud-copilot/iam-simulate for the policy differential test.
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
go mod download
# Tests that need an installed tool fail here instead of skipping.
export VIGIL_CI=1
go vet ./...
go test -count=1 -timeout 30m ./...
