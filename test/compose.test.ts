import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ENV_REFERENCE } from '@etml/config';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT } from './helpers.ts';

// No Docker engine runs here, so the compose file is checked as data: the right services, each
// running the right command, with only env names the code knows.
interface Service {
  image?: string;
  build?: string;
  command?: string[];
  environment?: Record<string, string>;
  deploy?: { replicas?: number };
  depends_on?: Record<string, { condition: string }>;
  entrypoint?: string[];
}

const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
};
const services = compose.services;
const APP_SERVICES = ['scheduler', 'cluster-worker', 'summarize-worker', 'board'];
// Read by the AWS SDK's credential chain rather than by our env.ts files.
const AWS_CHAIN = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'];

describe('docker-compose.yml', () => {
  it('has redis, minio with a bucket-creating step, and the four services', () => {
    expect(Object.keys(services).sort()).toEqual(
      [
        'board',
        'cluster-worker',
        'minio',
        'minio-init',
        'redis',
        'scheduler',
        'summarize-worker',
      ].sort(),
    );
  });

  it('runs Redis with AOF and noeviction', () => {
    const command = services.redis?.command?.join(' ') ?? '';
    expect(command).toContain('--appendonly yes');
    expect(command).toContain('--maxmemory-policy noeviction');
  });

  it('creates the bucket the services use, after MinIO is healthy', () => {
    const init = services['minio-init'];
    expect(init?.depends_on?.minio?.condition).toBe('service_healthy');
    const bucket = services.scheduler?.environment?.S3_BUCKET;
    expect(init?.entrypoint?.join(' ')).toContain(`mc mb --ignore-existing local/${bucket}`);
  });

  it.each(APP_SERVICES)('runs %s as ./bin/etml %s with known env names only', name => {
    const service = services[name] as Service;
    expect(service.command).toEqual(['./bin/etml', name]);
    expect(service.build).toBe('.');
    expect(service.depends_on?.redis?.condition).toBe('service_healthy');
    expect(service.depends_on?.['minio-init']?.condition).toBe('service_completed_successfully');
    const known = new Set([...ENV_REFERENCE.map(v => v.name), ...AWS_CHAIN]);
    const names = Object.keys(service.environment ?? {});
    expect(names.filter(n => !known.has(n))).toEqual([]);
    expect(names).toEqual(expect.arrayContaining(['REDIS_URL', 'S3_ENDPOINT', 'S3_BUCKET']));
  });

  it('gives each service the env of its feature', () => {
    expect(Object.keys(services.scheduler?.environment ?? {})).toEqual(
      expect.arrayContaining(['SCHEDULE_CRON', 'SCHEDULE_TZ', 'CATCHUP_DAYS']),
    );
    expect(Object.keys(services['summarize-worker']?.environment ?? {})).toEqual(
      expect.arrayContaining([
        'OPENAI_API_KEY',
        'OPENAI_MODEL',
        'LLM_MAX_REQUESTS_PER_MINUTE',
        'LLM_CONCURRENCY',
      ]),
    );
    expect(Object.keys(services.board?.environment ?? {})).toEqual(
      expect.arrayContaining(['BOARD_PORT', 'BOARD_HOST', 'BOARD_USERNAME', 'BOARD_PASSWORD']),
    );
  });

  it('runs several summarize-worker replicas', () => {
    expect(services['summarize-worker']?.deploy?.replicas).toBeGreaterThanOrEqual(2);
  });
});
