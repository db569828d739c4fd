/** `--help` text of every command, with examples (kcat equivalents are in docs/cli.md). */
import { FORMAT_PLACEHOLDERS } from './format.js'

const CONNECTION = `Connection (every command):
  -b, --brokers <host:port,…>   bootstrap servers (default: $KAFKA_BROKERS)
      --client-id <id>          client id sent to the brokers (default samsa-cli)
      --tls                     connect with TLS (system CAs unless --ca)
      --ca <file>               PEM CA certificates to verify the brokers with
      --cert <file>, --key <file>  PEM client certificate and key (mutual TLS)
      --insecure                TLS without verifying the brokers' certificates (warns)
      --sasl-mechanism <m>      PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER
      --sasl-username <user>
      --sasl-password <pw>      better: $SAMSA_SASL_PASSWORD (never printed)
      --sasl-oauth-token-file <file>  OAUTHBEARER token, re-read at each authentication
                                (or $SAMSA_SASL_OAUTH_TOKEN; never printed)
      --sasl-oauth-extension <k=v>  OAUTHBEARER SASL extension (repeatable)
      --config <file>           .properties (Java client names) or .json with the same keys
      --log-level <level>       the client's own log lines on stderr (error, warn, info, debug, trace)
      --timeout <ms>            bound of each call to the cluster, retries included (default 60000)
  -h, --help`

const EXITS = `Exit codes: 0 ok, 1 Kafka or runtime error, 2 usage error, 3 some records not delivered.`

export const HELP: Record<string, string> = {
  main: `samsa — a command line for Apache Kafka

Usage: samsa <command> [options]

Commands:
  produce <topic>            records from stdin or a file, one per line
  consume <topic…>           records to stdout, as a group member or from chosen offsets
  topics <sub-command>       list, describe, create, delete, alter-config, add-partitions
  groups <sub-command>       list, describe (lag per partition), delete, reset-offsets
  offsets <topic>            earliest/latest offsets, or the offset for a time
  cluster                    brokers, controller, features, API versions
  acls <sub-command>         list, create, delete
  quotas <sub-command>       describe, alter (client quotas)
  users <sub-command>        describe, upsert, delete (SCRAM credentials)
  completion bash|zsh        a shell completion script: source <(samsa completion bash)

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
      --json                  each line is {"key","value","headers","partition"} (value: any JSON; non-strings are written as JSON text);
                              bytes as "keyBase64"/"valueBase64", a header value as {"base64": …}
  -v, --verbose               print topic/partition@offset for each record delivered

Examples:
  samsa produce orders < orders.txt
  printf 'k1:v1\\nk2:v2\\n' | samsa produce orders -K : -H source=cli
  samsa produce orders --json -l records.jsonl -z zstd --verbose

${CONNECTION}

${EXITS}`,

  consume: `Usage: samsa consume <topic|^regex…> [options]

Writes records to stdout: the value per line by default, a kcat-style -f format, or JSON lines.

Options:
  -G, --group <id>            consume as a member of this group (commits what was written)
      --pattern <regex>       with -G: every topic whose name matches, including topics created later;
                              a topic argument starting with ^ is a regex too (kcat's convention)
  -o, --offset <where>        beginning, end (default), <offset>, -<N> (N before the end), @<timestamp ms>;
                              with -G only beginning or end (where to start without a committed offset)
  -p, --partition <n>         only this partition (repeatable; not with -G)
  -e, --exit                  stop at the end of the partitions as they were at start
  -c, --count <n>             stop after n records
  -f, --format <fmt>          output format with placeholders (below)
  -K, --key-separator <sep>   print key<sep>value per line
      --json                  one JSON object per record: topic, partition, offset, timestamp, key, value, headers
                              (bytes that are not UTF-8 as keyBase64 / valueBase64 / {"base64": …})
      --isolation <level>     read_uncommitted (default) or read_committed

Format placeholders:
${Object.entries(FORMAT_PLACEHOLDERS)
  .map(([k, v]) => `  ${k.padEnd(12)}${v}`)
  .join('\n')}

Examples:
  samsa consume orders -o beginning -e
  samsa consume orders -G billing -o beginning
  samsa consume '^orders-' -G billing -o beginning
  samsa consume orders -p 0 -o -10 -e -f '%p@%o %k=%s (%h)\\n'
  samsa consume orders -o @1767225600000 -c 5 --json

${CONNECTION}

${EXITS}`,

  topics: `Usage: samsa topics <sub-command> [options]

Sub-commands:
  list [--internal]                                       topic names, one per line
  describe <topic…>                                       partitions, leaders, replicas, ISR; configs not at Kafka's default
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
  reset-offsets <group> --topic <t>… [-p <n>…] (--to earliest|latest|<offset>|@<ms> | --shift-by <±n>) [--execute]
                       prints the new offsets (clamped to each partition's range); commits them only with
                       --execute, and only when the group has no active members

Every sub-command takes --json for machine-readable output.

Examples:
  samsa groups list
  samsa groups describe billing --json
  samsa groups reset-offsets billing --topic orders --to @1767225600000            # dry run
  samsa groups reset-offsets billing --topic orders -p 0 --shift-by -100 --execute

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

  acls: `Usage: samsa acls <list|create|delete> [options]

Options (as kafka-acls.sh; values in either case, - or _):
  --resource-type <t>     topic, group, cluster, transactional-id, delegation-token, user (any: list/delete only)
  --resource-name <name>  (cluster: kafka-cluster)
  --pattern <p>           literal (default for create), prefixed; match and any for list/delete
  --principal <p>         e.g. User:alice
  --host <h>              default * for create
  --operation <op>        read, write, create, delete, alter, describe, describe-configs, alter-configs,
                          idempotent-write, cluster-action, create-tokens, describe-tokens, all (repeatable)
  --permission <p>        allow (default for create) or deny
  --json

list matches what is given (everything when nothing is); delete needs at least --resource-type.

Examples:
  samsa acls create --resource-type topic --resource-name orders --principal User:alice --operation read --operation describe
  samsa acls list --resource-type topic --resource-name orders --pattern match
  samsa acls delete --resource-type topic --resource-name orders --principal User:alice

${CONNECTION}

${EXITS}`,

  quotas: `Usage: samsa quotas <describe|alter> [options]

Options:
  --entity <type>[=<name>]  user, client-id or ip; without =name: any entity of that type (describe) (repeatable)
  --default <type>          the default entity of that type (repeatable)
  --set <quota>=<number>    alter: e.g. producer_byte_rate=1048576 (repeatable)
  --delete <quota>          alter: remove the quota (repeatable)
  --json

Examples:
  samsa quotas alter --entity user=alice --set producer_byte_rate=1048576 --set consumer_byte_rate=2097152
  samsa quotas describe --entity user
  samsa quotas alter --default user --delete producer_byte_rate

${CONNECTION}

${EXITS}`,

  users: `Usage: samsa users <describe|upsert|delete> [user…] [options]

SCRAM credentials. The password comes from $SAMSA_USER_PASSWORD (or --password); only its salted form is sent.

Options:
  --mechanism <m>      SCRAM-SHA-256 or SCRAM-SHA-512 (upsert default SCRAM-SHA-512; delete needs it)
  --iterations <n>     upsert: 4096–16384 (default 8192)
  --json

Examples:
  SAMSA_USER_PASSWORD=… samsa users upsert carol --mechanism SCRAM-SHA-256
  samsa users describe carol
  samsa users delete carol --mechanism SCRAM-SHA-256

${CONNECTION}

${EXITS}`,

  completion: `Usage: samsa completion bash|zsh

Prints a completion script: commands, sub-commands, options, file names after --config/--file/--ca/…, and topic
and group names from the cluster in $KAFKA_BROKERS.

Examples:
  source <(samsa completion bash)                          # in ~/.bashrc
  samsa completion zsh > "\${fpath[1]}/_samsa"               # or: source <(samsa completion zsh) in ~/.zshrc`,

  cluster: `Usage: samsa cluster [--json]

The cluster id, the controller, the brokers, the feature levels and the API versions a broker offers (with the
version samsa uses for each).

Examples:
  samsa cluster
  samsa cluster --json | jq '.apiVersions[] | select(.name == "Fetch")'

${CONNECTION}

${EXITS}`,
}
