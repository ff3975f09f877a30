# Shared by keshi-backup and keshi-restore (sourced, not run).
# shellcheck shell=bash

# die MESSAGE [EXIT-CODE]: 1 by default, 2 for a wrong command line, 3 for a refusal.
die() {
  echo "$PROG: $1" >&2
  exit "${2:-1}"
}

say() {
  echo "$PROG: $*" >&2
}

# Reads KEY=VALUE lines the way systemd's EnvironmentFile= does (comments, blank lines, optional
# quotes), without running the file as shell: a password holding `$` or a space must not be
# expanded or split. The file wins over the caller's environment, so a stale DATABASE_URL left in
# an operator's shell cannot point a restore at the wrong database.
load_env_file() {
  local file=$1 line number=0 key value
  [[ -r $file ]] || die "cannot read the environment file $file"
  while IFS= read -r line || [[ -n $line ]]; do
    number=$((number + 1))
    line=${line%$'\r'}
    [[ $line =~ ^[[:space:]]*([#\;].*)?$ ]] && continue
    # Only the line number in the message: the line itself may hold a password.
    [[ $line =~ ^[[:space:]]*(export[[:space:]]+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]] ||
      die "$file, line $number: expected NAME=value"
    key=${BASH_REMATCH[2]}
    value=${BASH_REMATCH[3]}
    if [[ $value =~ ^\"(.*)\"$ || $value =~ ^\'(.*)\'$ ]]; then
      value=${BASH_REMATCH[1]}
    fi
    export "$key=$value"
  done <"$file"
}

# DATABASE_URL as Django reads it (django-environ), turned into a URI libpq accepts: the
# postgres schemes django-environ knows become postgresql://, and the query parameters meant for
# Django rather than the driver are dropped (libpq refuses parameters it does not know).
libpq_uri() {
  local url=$1 scheme rest query kept="" param
  scheme=${url%%://*}
  [[ $scheme != "$url" ]] || die "DATABASE_URL is not a URL (expected postgres://user:password@host:port/name)"
  case $scheme in
    postgres | postgresql | pgsql | psql | postgis) ;;
    *) die "DATABASE_URL uses $scheme://; backups need PostgreSQL (postgres://...)" ;;
  esac
  rest=${url#*://}
  if [[ $rest == *\?* ]]; then
    query=${rest#*\?}
    rest=${rest%%\?*}
    local IFS='&'
    for param in $query; do
      case ${param%%=*} in
        conn_max_age | conn_health_checks | atomic_requests | autocommit | disable_server_side_cursors) ;;
        *) kept+=${kept:+&}$param ;;
      esac
    done
  fi
  echo "postgresql://$rest${kept:+?$kept}"
}

# The same connection with another database name (the authority part is kept as is).
with_database() {
  local uri=$1 name=$2 rest query="" authority
  rest=${uri#postgresql://}
  if [[ $rest == *\?* ]]; then
    query=${rest#*\?}
    rest=${rest%%\?*}
  fi
  authority=${rest%%/*}
  echo "postgresql://$authority/$name${query:+?$query}"
}

# The connection to use: DATABASE_URL when set, else libpq's own PG* variables (PGHOST,
# PGDATABASE, PGUSER, PGPASSWORD or ~/.pgpass ...), which the tools read by themselves.
database_uri() {
  if [[ -n ${DATABASE_URL:-} ]]; then
    libpq_uri "$DATABASE_URL"
  elif [[ -n ${PGDATABASE:-} ]]; then
    echo ""
  else
    die "set DATABASE_URL (as in /etc/keshi/keshi.env, or pass --env-file) or the PG* variables"
  fi
}

# Sets CONN, the connection arguments for psql, pg_dump and pg_restore. Always -d: without it
# pg_restore prints SQL instead of restoring. They never prompt (-w): run by a timer, a password
# prompt would hang until the unit's timeout.
set_connection() {
  local uri=$1
  CONN=(-w -d "${uri:-$PGDATABASE}")
}

# "name on host:port", for messages: never the password.
describe_database() {
  psql "${CONN[@]}" -X -A -t -q -v ON_ERROR_STOP=1 -c \
    "SELECT current_database() || ' on ' || coalesce(host(inet_server_addr()), 'the local socket') || ':' || current_setting('port')"
}
