# tests/lib/certs.sh: throwaway TLS material for the test servers (POSIX
# sh).  Sourced by common.sh, and by ds389_template.sh, which runs alone.

# tls_make_certs DIR [CN SAN [DAYS [rsa]]]: a CA (DIR/ca.pem, DIR/ca.key)
# and a server certificate it signed (DIR/server.pem, DIR/server.key;
# DIR/openssl.log says what went wrong) for CN (default 127.0.0.1) with
# subjectAltName SAN (default "IP:127.0.0.1, DNS:localhost"), valid DAYS
# (default 2); "rsa" gives the server an RSA 2048 key (389's attribute
# encryption cannot wrap its keys with EC), else EC P-256.  Arguments, not
# variables: an assignment before a function call outlives it in some
# shells.  The keys stay 0600; the certificates are made world-readable.
tls_make_certs() {
	command -v openssl >/dev/null 2>&1 || {
		echo "tls_make_certs: openssl not found: install the Debian package openssl" >&2
		return 1
	}
	mkdir -p "$1" || return 1
	_tmc_cn=${2:-127.0.0.1}
	_tmc_san=${3:-IP:127.0.0.1, DNS:localhost}
	_tmc_days=${4:-2}
	_tmc_serial=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
	_tmc_tag=$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
	if [ "${5:-ec}" = rsa ]; then
		set -- "$1" -newkey rsa:2048
	else
		set -- "$1" -newkey ec -pkeyopt ec_paramgen_curve:prime256v1
	fi
	(
		cd "$1" || exit 1
		shift
		umask 077
		cat >server.ext <<-EOF
		basicConstraints = critical, CA:FALSE
		keyUsage = critical, digitalSignature, keyEncipherment
		extendedKeyUsage = serverAuth
		subjectAltName = $_tmc_san
		EOF
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		    -nodes -keyout ca.key -out ca.pem -days "$_tmc_days" \
		    -subj "/CN=ldap2imocha test CA $_tmc_tag" \
		    -addext "basicConstraints=critical,CA:TRUE" \
		    -addext "keyUsage=critical,keyCertSign,cRLSign" &&
		openssl req -new "$@" -nodes -keyout server.key -out server.csr \
		    -subj "/CN=$_tmc_cn" &&
		openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key \
		    -set_serial "0x$_tmc_serial" -days "$_tmc_days" -extfile server.ext \
		    -out server.pem
	) >"$1/openssl.log" 2>&1 || {
		cat "$1/openssl.log" >&2
		return 1
	}
	chmod 644 "$1/ca.pem" "$1/server.pem"
}
