/** `--help` text of every command, with examples (kcat equivalents are in docs/cli.md). */
import { FORMAT_PLACEHOLDERS } from './format.js'

const CONNECTION = `Connection (every command):
  -b, --brokers <host:port,…>   bootstrap servers (default: $KAFKA_BROKERS)
      --client-id <id>          client id sent to the brokers (default samsa-cli)
      --tls                     connect with TLS (system CAs unless --ca)
      --ca <file>               PEM CA certificates to verify the brokers with
      --cert <file>, --key <file>  PEM client certificate and key (mutual TLS)
      --insecure                TLS without verifying the brokers' certificates (warns)
      --sasl-mechanism <m>      PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512
      --sasl-username <user>
      --sasl-password <pw>      better: $SAMSA_SASL_PASSWORD (never printed)
      --config <file>           .properties (Java client names) or .json with the same keys
      --log-level <level>       the client's own log lines on stderr (error, warn, info, debug, trace)
  -h, --help`

const EXITS = `Exit codes: 0 ok, 1 Kafka or runtime error, 2 usage error, 3 some records not delivered.`

export const HELP: Record<string, string> = {
  main: `samsa — a command line for Apache Kafka

Usage: samsa <command> [options]

Commands:
  produce <topic>            records from stdin or a file, one per line
  consume <topic…>           records to stdout, as a group member or from chosen offsets
  topics <sub-command>       list, describe, create, delete, alter-config, add-partitions
  groups <sub-command>       list, describe (lag per partition), delete
  offsets <topic>            earliest/latest offsets, or the offset for a time
  cluster                    brokers, controller, features, API versions

Examples:
  export KAFKA_BROKERS=localhost:9092
  echo 'user-1:hello' | samsa produce greetings -K :
  samsa consume greetings -o beginning -e -f '%k => %s\\n'
  samsa groups describe billing

Run \`samsa <command> --help\` for a command's options.

${CONNECTION}

${EXITS}`,

  produce: `Usage: samsa produce <topic> [options]

Reads records from stdin (or --file), one per line, sends them without waiting for each one (batched), and
flushes at the end of the input. Exits 0 only when every record was acknowledged (3: some were not).

Options:
  -l, --file <path>           read this file instead of stdin
  -K, --key-separator <sep>   split each line at the first <sep> into key and value (no <sep>: null key)
  -H, --header <name=value>   add a header to every record (repeatable)
  -p, --partition <n>         write to this partition (default: the key's hash, or spread)
  -z, --compression <codec>   none (default), gzip, snappy, lz4, zstd
      --acks <all|1|0>        default all (idempotent)
      --json                  each line is {"key","value","headers","partition"} (value: any JSON; non-strings are written as JSON text)
  -v, --verbose               print topic/partition@offset for each record delivered

Examples:
  samsa produce orders < orders.txt
  printf 'k1:v1\\nk2:v2\\n' | samsa produce orders -K : -H source=cli
  samsa produce orders --json -l records.jsonl -z zstd --verbose

${CONNECTION}

${EXITS}`,

  consume: `Usage: samsa consume <topic…> [options]

Writes records to stdout: the value per line by default, a kcat-style -f format, or JSON lines.

Options:
  -G, --group <id>            consume as a member of this group (commits what was written)
  -o, --offset <where>        beginning, end (default), <offset>, -<N> (N before the end), @<timestamp ms>;
                              with -G only beginning or end (where to start without a committed offset)
  -p, --partition <n>         only this partition (repeatable; not with -G)
  -e, --exit                  stop at the end of the partitions as they were at start
  -c, --count <n>             stop after n records
  -f, --format <fmt>          output format with placeholders (below)
  -K, --key-separator <sep>   print key<sep>value per line
      --json                  one JSON object per record: topic, partition, offset, timestamp, key, value, headers
      --isolation <level>     read_uncommitted (default) or read_committed

Format placeholders:
${Object.entries(FORMAT_PLACEHOLDERS)
  .map(([k, v]) => `  ${k.padEnd(12)}${v}`)
  .join('\n')}

Examples:
  samsa consume orders -o beginning -e
  samsa consume orders -G billing -o beginning
  samsa consume orders -p 0 -o -10 -e -f '%p@%o %k=%s (%h)\\n'
  samsa consume orders -o @1767225600000 -c 5 --json

${CONNECTION}

${EXITS}`,

  topics: `Usage: samsa topics <sub-command> [options]

Sub-commands:
  list [--internal]                                       topic names, one per line
  describe <topic…>                                       partitions, leaders, replicas, ISR
  create <topic> [--partitions n] [--replication-factor n] [--set name=value…]
  delete <topic…>
  alter-config <topic> [--set name=value…] [--delete name…]
  add-partitions <topic> --count <total>

Every sub-command takes --json for machine-readable output.

Examples:
  samsa topics create orders --partitions 6 --replication-factor 3 --set retention.ms=86400000
  samsa topics describe orders --json
  samsa topics alter-config orders --set cleanup.policy=compact --delete retention.ms
  samsa topics add-partitions orders --count 12

${CONNECTION}

${EXITS}`,

  groups: `Usage: samsa groups <sub-command> [options]

Sub-commands:
  list                 every group: id, type, state
  describe <group>     members, and per partition: committed offset, end offset, lag, owner
  delete <group…>      groups without active members

Every sub-command takes --json for machine-readable output.

Examples:
  samsa groups list
  samsa groups describe billing --json

${CONNECTION}

${EXITS}`,

  offsets: `Usage: samsa offsets <topic> [--time earliest|latest|<ms>] [-p <partition>…] [--json]

Without --time: each partition's earliest and latest offset. With --time <ms>: the first offset whose timestamp is
at or after it (-1 when none).

Examples:
  samsa offsets orders
  samsa offsets orders --time 1767225600000 -p 0

${CONNECTION}

${EXITS}`,

  cluster: `Usage: samsa cluster [--json]

The cluster id, the controller, the brokers, the feature levels and the API versions a broker offers (with the
version samsa uses for each).

${CONNECTION}

${EXITS}`,
}
