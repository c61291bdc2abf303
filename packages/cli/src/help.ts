/**
 * What `etml --help` and `etml <command> --help` say. Each command's flags are listed here once,
 * with their meaning and default; test/cli-help.test.ts holds them to the flags each command
 * parses, so the help cannot drift from the code. Kept free of the commands' imports, so help
 * is quick to print.
 */

/** A flag's default when it has none: the command refuses to run without it. */
export const REQUIRED = 'required';

export interface FlagHelp {
  /** The value's placeholder (`--rides N`); a flag without one is a switch, off by default. */
  value?: string;
  /** What applies when the flag is not given, or REQUIRED. */
  default?: string;
  about: string;
}

export interface CommandHelp {
  group: keyof typeof GROUPS;
  /** One line, for `etml --help`. */
  summary: string;
  /** When the flags alone cannot say it: alternatives, an action word. */
  usage?: string;
  about: string;
  flags: Record<string, FlagHelp>;
  examples: string[];
}

const GROUPS = {
  data: 'Put rides in',
  days: 'Run days through the queues',
  outputs: 'Look at the results',
  services: 'Services (each runs until SIGTERM)',
  local: 'Local set-up',
};

const DATE = 'YYYY-MM-DD';
const CONFIGURATION =
  'Configuration comes from the environment: see the table in README.md, "Configuration".';
const MAX_FAILED_SHARE_ABOUT =
  "exit 1 when more than this share of a day's summaries failed, from 0 to 1 (0: any failed summary)";
/** Every dated command but upload says so. */
const NOT_FUTURE = 'Dates after today in SCHEDULE_TZ (UTC by default) are refused.';
/** What upload, simulate and import do for a day that was queued before its data arrived. */
const STARTS_WAITING = "Once uploaded, a cluster job waiting for the date's input starts at once.";

export const COMMAND_HELP: Record<string, CommandHelp> = {
  simulate: {
    group: 'data',
    summary: 'simulate a day of rides, into S3 or a file',
    about:
      "Generates a day of taxi rides in the seed's format: 92.5% normal rides and 2.5% each of " +
      'long_distance, high_speed and low_speed anomalies, each ride carrying its injected_anomaly ' +
      'for measuring detection. The same --date, --seed and --rides always give the same bytes. ' +
      "Without --output the day is uploaded to S3 as raw/date=D/rides.jsonl, replacing that date's " +
      `raw input; with --output it is written as NDJSON and S3 is not touched. ${STARTS_WAITING} ` +
      NOT_FUTURE,
    flags: {
      date: { value: DATE, default: REQUIRED, about: 'the ride date the rides are for' },
      rides: { value: 'N', default: '400', about: 'how many rides, from 1 to 10,000,000' },
      seed: {
        value: 'S',
        default: '42',
        about: 'random seed, a whole number from 0 to 9007199254740991',
      },
      output: {
        value: 'FILE|-',
        default: 'upload to S3',
        about: 'write NDJSON to FILE instead of uploading (- is standard output)',
      },
    },
    examples: [
      'etml simulate --date 2025-07-30',
      'etml simulate --date 2025-07-30 --rides 20000 --seed 7',
      'etml simulate --date 2025-07-30 --output - | head -3',
    ],
  },
  upload: {
    group: 'data',
    summary: "validate a file of rides and upload it as a day's input",
    about:
      'Validates FILE (a JSON array, NDJSON or CSV with a header row, told apart by content) and ' +
      "uploads it unchanged as raw/date=D/rides.{json,jsonl,csv}, replacing that date's other raw " +
      'files. Invalid rows do not stop the upload: the first five are shown with their reasons, ' +
      'and the cluster step quarantines all of them in rejected/date=D/. A file with no valid row ' +
      `is refused, and a NYC TLC trip-record file is pointed at etml import. ${STARTS_WAITING}`,
    flags: {
      date: { value: DATE, default: REQUIRED, about: 'the ride date the file is for' },
      file: { value: 'FILE', default: REQUIRED, about: 'the file to upload' },
    },
    examples: ['etml upload --date 2025-07-30 --file rides.csv'],
  },
  import: {
    group: 'data',
    summary: 'import a NYC TLC trip-record file, a day per pickup date',
    about:
      'Reads a New York TLC trip-record file as the TLC publishes it (yellow or green taxis, CSV ' +
      "or Parquet) and uploads each pickup date of the file's month as raw/date=D/rides.jsonl, " +
      "replacing that date's raw input. Distances become kilometres and times hours. Trips that " +
      'are not rides (an unreadable time, a dropoff before its pickup, over 24 hours, a bad ' +
      'distance) are reported with their row numbers and left out; rides of other months are ' +
      'counted, not uploaded. Nothing is uploaded until the whole file has been read. Standard ' +
      `output has a line per date, standard error the totals. ${STARTS_WAITING}`,
    flags: {
      file: { value: 'FILE', default: REQUIRED, about: 'the TLC file, CSV or Parquet' },
      tz: {
        value: 'ZONE',
        default: 'America/New_York',
        about: "the IANA time zone of the file's wall-clock times",
      },
      'dry-run': { about: 'read and report everything, upload nothing' },
    },
    examples: [
      'etml import --file yellow_tripdata_2015-01.parquet',
      'etml import --file green_tripdata_2024-03.csv --dry-run',
    ],
  },
  cluster: {
    group: 'data',
    summary: 'cluster a local file and flag anomalies, no Redis or S3',
    about:
      'Clusters a local file with DBSCAN on ride distance and time and decides which rides are ' +
      'anomalies, as the cluster-worker does, with no Redis and no S3. It reads a JSON array, ' +
      'NDJSON or CSV, or a NYC TLC trip-record file (CSV or Parquet, converted as etml import ' +
      'does), and writes NDJSON: one record per valid ride, in input order, with every input ' +
      'field plus label, anomaly, anomaly_reasons and anomaly_score. Invalid rows go to ' +
      '--rejected with their row numbers and reasons. --eps and --min-samples change label only, ' +
      'never which rides are anomalies; with both given, label is what scikit-learn gives. It ' +
      'reads no environment variable: DBSCAN_EPS, DBSCAN_MIN_SAMPLES and ANOMALY_MAX_SHARE are ' +
      "the cluster-worker's.",
    flags: {
      input: { value: 'FILE', default: REQUIRED, about: 'the rides to cluster' },
      output: {
        value: 'FILE|-',
        default: REQUIRED,
        about: 'where the clustered rides go (- is standard output)',
      },
      eps: {
        value: 'E',
        default: 'chosen from the ride count',
        about: 'DBSCAN eps on standardized distance and time, a number above 0',
      },
      'min-samples': {
        value: 'M',
        default: '8',
        about: 'DBSCAN min_samples, the point itself included, from 1 to 1,000,000,000',
      },
      engine: {
        value: 'fast|density-clustering',
        default: 'fast',
        about:
          "fast is the project's exact DBSCAN; density-clustering runs that npm package, as a cross-check",
      },
      'max-share': {
        value: 'S',
        default: 'no cap',
        about:
          'flag at most this share of the rides, the most severe by anomaly_score (a number above 0, at most 1)',
      },
      rejected: {
        value: 'FILE|-',
        default: 'OUTPUT.rejected.jsonl',
        about:
          'where invalid rows go, with their row numbers and reasons (./rejected.jsonl when --output is -)',
      },
      tz: {
        value: 'ZONE',
        default: 'America/New_York',
        about: "the time zone of a TLC file's wall-clock times (other files have none)",
      },
    },
    examples: [
      'etml cluster --input rides.csv --output clustered.jsonl',
      'etml cluster --input day.jsonl --output - --eps 0.3 --min-samples 10 | grep \'"anomaly":true\'',
    ],
  },
  run: {
    group: 'days',
    summary: 'enqueue a day and follow it to the end with a progress bar',
    about:
      "Enqueues the day's cluster job (cluster-D) and follows the day through its cluster, " +
      'summarize and load steps, with a progress bar (a line per step when standard error is not ' +
      'a terminal), until its manifest is written; then prints the output keys. A day that ' +
      'already has a manifest is reported as done unless --force. A day waiting for its raw ' +
      'input says so, with the next check; one whose input is there by now starts at once. It ' +
      'needs a cluster-worker and a summarize-worker on the same Redis (etml start runs them) and ' +
      'warns after 5 s when a queue it waits on has none. Exit 0 when the day is done; 1 when a ' +
      'step fails, when the timeout passes, or when more summaries failed than ' +
      '--max-failed-share allows (a day already done is checked too), naming how many and the ' +
      `first reason. ${NOT_FUTURE}`,
    flags: {
      date: { value: DATE, default: REQUIRED, about: 'the ride date to run' },
      force: {
        about:
          'compute a day that is done (or failed) again; the summaries it already has come from the cache, at no LLM cost',
      },
      'timeout-minutes': {
        value: 'N',
        default: '1440, a day',
        about:
          'stop following after N minutes, from 1 to 10,080, and exit 1; the day carries on in the queues',
      },
      'max-failed-share': { value: 'S', default: '0', about: MAX_FAILED_SHARE_ABOUT },
    },
    examples: [
      'etml run --date 2025-07-30',
      'etml run --date 2025-07-30 --force --max-failed-share 0.05',
    ],
  },
  status: {
    group: 'days',
    summary: 'where a day stands: jobs, failures, anomalies, outputs',
    about:
      "Shows each step's job for the date and its state (with the failure reason, or what a " +
      'cluster job is waiting for and its next check), the summaries ' +
      'done, failed (the first ten with their reasons) and pending, the ten most severe anomalies ' +
      "by anomaly_score as soon as the day is clustered, and whether the day's manifest exists. " +
      'It only reads: nothing is enqueued or changed.',
    flags: { date: { value: DATE, default: REQUIRED, about: 'the ride date to show' } },
    examples: ['etml status --date 2025-07-30'],
  },
  enqueue: {
    group: 'days',
    summary: 'queue a day and return; the workers take it from there',
    about:
      "Enqueues the day's cluster job, cluster-D, and returns at once; the cluster-worker and " +
      'summarize-worker take it from there (etml status shows where it is; etml run waits for it). ' +
      'A date already queued, running or done is left as it is, so enqueueing twice is harmless, ' +
      'except that one waiting for raw input that is there by now starts at once. ' +
      NOT_FUTURE,
    flags: {
      date: { value: DATE, default: REQUIRED, about: 'the ride date to queue' },
      force: { about: 'compute a day that is done (or failed) again' },
    },
    examples: ['etml enqueue --date 2025-07-30', 'etml enqueue --date 2025-07-30 --force'],
  },
  backfill: {
    group: 'days',
    summary: 'queue every date of a range; --follow waits for them',
    usage: `etml backfill --from ${DATE} --to ${DATE} [--force] [--yes] [--follow [--timeout-minutes N] [--max-failed-share S]]`,
    about:
      'Enqueues every date from --from to --to, oldest first, as etml enqueue does, and prints ' +
      'how many were enqueued, how many were already there, and the dates that have no raw ' +
      'input yet (their cluster jobs wait for it and start when it is uploaded). A range over 31 ' +
      'days needs --yes, since a wrong year would queue a year of LLM calls. With --follow it ' +
      "then follows the whole range to the end with one progress bar, prints each day's outputs, " +
      'and exits as etml run does: 1 when a day failed or had too many failed summaries, each ' +
      `named on its own line. ${NOT_FUTURE}`,
    flags: {
      from: { value: DATE, default: REQUIRED, about: 'the first ride date' },
      to: { value: DATE, default: REQUIRED, about: 'the last ride date' },
      force: { about: 'compute the dates that are done (or failed) again' },
      yes: { about: 'allow a range of more than 31 days' },
      follow: { about: 'follow every date to the end with one progress bar' },
      'timeout-minutes': {
        value: 'N',
        default: '1440, a day',
        about: 'with --follow: stop following the whole range after N minutes, from 1 to 10,080',
      },
      'max-failed-share': {
        value: 'S',
        default: '0',
        about: `with --follow: ${MAX_FAILED_SHARE_ABOUT}`,
      },
    },
    examples: [
      'etml backfill --from 2025-07-01 --to 2025-07-07',
      'etml backfill --from 2025-07-01 --to 2025-07-07 --follow --max-failed-share 0.1',
      'etml backfill --from 2024-07-01 --to 2025-06-30 --yes',
    ],
  },
  report: {
    group: 'outputs',
    summary: "write a day's report.html locally, print its URL",
    about:
      "Renders a complete day's report, the same page as output/date=D/report.html, from its " +
      'rides.jsonl and the manifests of the week before, writes it to a local file and prints ' +
      `its file:// URL for a browser. A day without a manifest is refused (exit 2). ${NOT_FUTURE}`,
    flags: {
      date: { value: DATE, default: REQUIRED, about: 'the ride date to report' },
      out: {
        value: 'FILE|-',
        default: 'report-D.html in the current folder',
        about: 'where to write the page (- is standard output)',
      },
    },
    examples: ['etml report --date 2025-07-30', 'etml report --date 2025-07-30 --out - > day.html'],
  },
  query: {
    group: 'outputs',
    summary: "SQL over complete days' rides.parquet, with DuckDB",
    usage: `etml query (--date ${DATE} | --from ${DATE} --to ${DATE}) [--sql SQL] [--format table|csv|jsonl]`,
    about:
      'Runs SQL with the DuckDB the project installs over complete days: the view rides holds ' +
      "every column of rides.parquet plus date. Each day's Parquet is copied from S3 to a " +
      'temporary folder and checked against the sha256 its manifest lists, so DuckDB needs no S3 ' +
      'access. Days of a range without a manifest are named on standard error and left out; a ' +
      "range is at most 366 days. A bad --sql is one line with DuckDB's message (exit 2). " +
      NOT_FUTURE,
    flags: {
      date: { value: DATE, default: 'required, or --from and --to', about: 'one ride date' },
      from: { value: DATE, default: 'required with --to', about: 'the first date of a range' },
      to: { value: DATE, default: 'required with --from', about: 'the last date of a range' },
      sql: {
        value: 'SQL',
        default: 'rides and anomalies per date',
        about: 'the query, over the view rides',
      },
      format: {
        value: 'table|csv|jsonl',
        default: 'table',
        about: 'table shows at most 1,000 rows with long texts cut; csv and jsonl give every row',
      },
    },
    examples: [
      'etml query --date 2025-07-30',
      'etml query --from 2025-07-01 --to 2025-07-31 --format csv --sql "SELECT anomaly_reasons, count(*) AS rides FROM rides WHERE anomaly GROUP BY ALL"',
    ],
  },
  start: {
    group: 'services',
    summary: 'run the four services for local use, each its own process',
    about:
      'Runs the scheduler, cluster-worker, summarize-worker and board for local use, each as its ' +
      "own process, with every log line prefixed by the service's name (with LOG_FORMAT=json, " +
      'or no terminal, their JSON lines pass through unchanged). One Ctrl-C (or SIGTERM) ' +
      'stops them all gracefully: running jobs finish or go back to the queue, and it exits 0; a ' +
      'second Ctrl-C forces them (exit 1). If one exits on its own, the others are stopped too. ' +
      "It checks every service's configuration and the board's address first, and starts nothing " +
      'when one would fail (a taken BOARD_PORT is named). The embedded Redis and S3 are started ' +
      'first when no Redis is configured and S3_ENDPOINT and S3_BUCKET are unset. Without ' +
      'BOARD_PASSWORD the board gets a random password for the run, printed at start; Bull Board ' +
      `is at http://localhost:BOARD_PORT/admin/queues. ${CONFIGURATION}`,
    flags: {},
    examples: ['etml start', 'BOARD_PORT=3001 BOARD_PASSWORD=secret etml start'],
  },
  scheduler: {
    group: 'services',
    summary: 'the scheduler service: the daily run and the catch-up',
    about:
      'Runs the scheduler service until SIGTERM. It keeps one BullMQ job scheduler, daily-rides, ' +
      'firing at SCHEDULE_CRON in SCHEDULE_TZ; each run enqueues the day before. On start and on ' +
      'every run it also enqueues each of the last CATCHUP_DAYS due dates that has no manifest ' +
      'and no job. When Redis comes back, and every SCHEDULE_HEAL_SECONDS, it puts the job ' +
      'scheduler back if Redis lost it and catches up again. With METRICS_PORT, Prometheus ' +
      '/metrics is served on that port; with OTEL_EXPORTER_OTLP_ENDPOINT, traces go there. ' +
      `It needs Redis and S3 (REDIS_URL, S3_BUCKET, …). ${CONFIGURATION}`,
    flags: {},
    examples: [
      'etml scheduler',
      'SCHEDULE_CRON="30 5 * * *" SCHEDULE_TZ=Europe/London etml scheduler',
    ],
  },
  'cluster-worker': {
    group: 'services',
    summary: 'the cluster-worker service: cluster-D jobs',
    about:
      'Runs the cluster-worker until SIGTERM. It takes cluster-D jobs from the cluster queue, ' +
      'reads raw/date=D/, writes clustered/date=D/ and rejected/date=D/, and hands the day on to ' +
      'load-D. A missing raw input is looked for again for RAW_WAIT_MINUTES. One job runs at a ' +
      'time per process; run more processes to scale. Its settings: DBSCAN_EPS, ' +
      'DBSCAN_MIN_SAMPLES, ANOMALY_MAX_SHARE, RAW_WAIT_MINUTES, JOB_LOCK_SECONDS, METRICS_PORT, ' +
      'OTEL_EXPORTER_OTLP_ENDPOINT, and Redis and ' +
      `S3. ${CONFIGURATION}`,
    flags: {},
    examples: ['etml cluster-worker', 'RAW_WAIT_MINUTES=60 etml cluster-worker'],
  },
  'summarize-worker': {
    group: 'services',
    summary: 'the summarize-worker service: summaries and the load step',
    about:
      'Runs the summarize-worker until SIGTERM: one worker on the summarize queue, which gets ' +
      "each anomalous ride's summary from the LLM (or the offline summarizer) under shared rate " +
      'limits and a daily budget, and one on the load queue, which fans a day out into summaries ' +
      'and writes output/date=D/ (rides.jsonl, rides.parquet, report.html, and _manifest.json ' +
      'last). Its settings: OPENAI_API_KEY, OPENAI_BASE_URL, OPENAI_MODEL, SUMMARIZER, the LLM_* ' +
      'limits, REPORT_WEBHOOK_URL, JOB_LOCK_SECONDS, METRICS_PORT, OTEL_EXPORTER_OTLP_ENDPOINT, ' +
      `and Redis and S3. ${CONFIGURATION}`,
    flags: {},
    examples: [
      'etml summarize-worker',
      'OPENAI_API_KEY=sk-... LLM_MAX_SUMMARIES_PER_DAY=200 etml summarize-worker',
    ],
  },
  board: {
    group: 'services',
    summary: 'the board: Bull Board, /healthz and /metrics',
    about:
      'Runs the board until SIGTERM, listening on BOARD_HOST (127.0.0.1, this machine only, by ' +
      'default) and BOARD_PORT: Bull Board at /admin/queues over ' +
      'the four queues, to inspect jobs, their progress and logs, and retry, promote or clean ' +
      'them; /healthz (Redis and the workers per queue, no credentials) and /metrics (Prometheus ' +
      'text). Every other route needs HTTP basic auth from BOARD_USERNAME and BOARD_PASSWORD; ' +
      'without a password it refuses to start unless BOARD_AUTH=off. Its settings: the BOARD_* ' +
      `variables and Redis. ${CONFIGURATION}`,
    flags: {},
    examples: ['BOARD_PASSWORD=secret etml board'],
  },
  demo: {
    group: 'local',
    summary: 'run a simulated (or real) day through every queue',
    usage: `etml demo [--date ${DATE}] [--rides N] | etml demo --real`,
    about:
      'What npm run demo runs after set-up: simulates a day (with --real, imports the bundled ' +
      'NYC TLC sample and takes its busiest day), runs it through the real queues with a ' +
      'cluster-worker and a summarize-worker in this process, and says where each output is and ' +
      `how to look at it. A day left from an earlier demo is run again. ${NOT_FUTURE}`,
    flags: {
      date: {
        value: DATE,
        default: 'yesterday in SCHEDULE_TZ',
        about: 'the ride date to simulate',
      },
      rides: { value: 'N', default: '400', about: 'how many rides, from 1 to 10,000,000' },
      real: {
        about:
          'use the bundled TLC sample (January 2015 yellow taxis) instead; takes no --date or --rides',
      },
    },
    examples: ['etml demo', 'etml demo --date 2025-07-30 --rides 2000', 'etml demo --real'],
  },
  setup: {
    group: 'local',
    summary: 'make sure redis-server is installed',
    about:
      'Makes sure redis-server is installed: with apt-get on Debian or Ubuntu as root; elsewhere ' +
      'it says how to get it. npm run setup does this and the rest of the set-up (Node, pnpm, ' +
      'dependencies).',
    flags: {},
    examples: ['etml setup'],
  },
  embedded: {
    group: 'local',
    summary: 'start, stop or show the embedded Redis and S3',
    usage: 'etml embedded up|down|status',
    about:
      'With REDIS_URL, S3_ENDPOINT and S3_BUCKET unset, etml runs its own redis-server and ' +
      'S3-API server, keeping their data in ETML_DATA_DIR (.data), and leaves them running for ' +
      'the next commands. up starts them (or finds them running), down stops them and keeps the ' +
      'data, status shows their ports and process ids. They keep their ports across restarts.',
    flags: {},
    examples: ['etml embedded status', 'etml embedded down'],
  },
};

export const COMMAND_NAMES = Object.keys(COMMAND_HELP);

const WIDTH = 80;

/** Words wrapped to WIDTH, every line after the first indented by `indent`. */
function wrapWords(words: string[], indent: number, first = indent): string {
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    const room = WIDTH - (lines.length === 0 ? first : indent);
    if (line !== '' && line.length + 1 + word.length > room) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  lines.push(line);
  return lines.join(`\n${' '.repeat(indent)}`);
}

const wrap = (text: string, indent: number) => wrapWords(text.split(/\s+/), indent);

const flagName = (name: string, flag: FlagHelp) =>
  flag.value === undefined ? `--${name}` : `--${name} ${flag.value}`;

/** The usage's words, a bracketed or parenthesized group (nested ones too) as one. */
function usageUnits(usage: string): string[] {
  const units: string[] = [];
  let depth = 0;
  for (const word of usage.split(' ')) {
    if (depth > 0) units.push(`${units.pop()} ${word}`);
    else units.push(word);
    depth += (word.match(/[[(]/g)?.length ?? 0) - (word.match(/[\])]/g)?.length ?? 0);
  }
  return units;
}

function usageOf(name: string, help: CommandHelp): string {
  if (help.usage) return help.usage;
  const parts = Object.entries(help.flags).map(([flag, spec]) =>
    spec.default === REQUIRED ? flagName(flag, spec) : `[${flagName(flag, spec)}]`,
  );
  return ['etml', name, ...parts].join(' ');
}

/** `etml <name> --help`: what the command does, each flag with its default, examples. */
export function commandHelp(name: string): string {
  const help = COMMAND_HELP[name];
  if (!help) throw new Error(`no help for ${name}`);
  // A bracketed flag or a group of alternatives is never split across lines.
  const out = [
    `usage: ${wrapWords(usageUnits(usageOf(name, help)), 11, 7)}`,
    '',
    wrap(help.about, 0),
    '',
  ];
  const flags = Object.entries(help.flags);
  if (flags.length > 0) {
    const column = Math.min(
      26,
      Math.max(...flags.map(([f, spec]) => flagName(f, spec).length)) + 4,
    );
    out.push('flags:');
    for (const [flag, spec] of flags) {
      const left = `  ${flagName(flag, spec)}`;
      const given = spec.default?.startsWith(REQUIRED)
        ? spec.default
        : `default: ${spec.default ?? 'off'}`;
      // The default stays whole on one line, to be found at a glance.
      const text = wrapWords([...spec.about.split(/\s+/), `[${given}]`], column);
      out.push(
        left.length + 2 > column
          ? `${left}\n${' '.repeat(column)}${text}`
          : `${left.padEnd(column)}${text}`,
      );
    }
    out.push('');
  }
  out.push('examples:', ...help.examples.map(example => `  ${example}`));
  return out.join('\n');
}

/** `etml --help`: every command with its line. */
export function generalHelp(): string {
  const width = Math.max(...COMMAND_NAMES.map(name => name.length)) + 2;
  const out = [
    'usage: etml [--verbose] <command> [flags]',
    '       etml <command> --help   what a command does, its flags and examples',
    '       etml help <command>     the same',
    '       etml --version          the version and the commit',
  ];
  for (const [group, title] of Object.entries(GROUPS)) {
    out.push('', `${title}:`);
    for (const [name, help] of Object.entries(COMMAND_HELP)) {
      if (help.group === group) out.push(`  ${name.padEnd(width)}${help.summary}`);
    }
  }
  out.push(
    '',
    wrap(
      'Configuration comes from the environment (README.md, "Configuration"). Redis is ' +
        'REDIS_URL, or Sentinel (REDIS_SENTINELS, REDIS_SENTINEL_NAME) or a Cluster ' +
        '(REDIS_CLUSTER_NODES), whose AUTH is REDIS_PASSWORD, REDIS_USERNAME and ' +
        'REDIS_SENTINEL_PASSWORD. With none of them, S3_ENDPOINT and S3_BUCKET unset, etml starts ' +
        'its own redis-server and S3-API server, ' +
        'keeping data in .data/. Exit codes: 0 done, 1 a failure while running, 2 a bad command ' +
        'line, bad input or bad configuration; --verbose adds the stack trace to an error.',
      0,
    ),
  );
  return out.join('\n');
}
