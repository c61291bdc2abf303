import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/**
 * HTTP basic authentication. Both fields are compared as sha256 digests with timingSafeEqual,
 * so the time taken says nothing about the length or the content of the secret, and both are
 * always compared (no early exit on a wrong user name).
 */
export function basicAuth(credentials: { username: string; password: string }): RequestHandler {
  const user = digest(credentials.username);
  const password = digest(credentials.password);
  return (req, res, next) => {
    const header = req.headers.authorization ?? '';
    const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header);
    const decoded = match ? Buffer.from(match[1] as string, 'base64').toString('utf8') : '';
    const colon = decoded.indexOf(':');
    const givenUser = digest(colon < 0 ? '' : decoded.slice(0, colon));
    const givenPassword = digest(colon < 0 ? '' : decoded.slice(colon + 1));
    const userOk = timingSafeEqual(user, givenUser);
    const passwordOk = timingSafeEqual(password, givenPassword);
    if (match && colon >= 0 && userOk && passwordOk) {
      next();
      return;
    }
    res.set('WWW-Authenticate', 'Basic realm="etml board", charset="UTF-8"');
    res.status(401).type('text/plain').send('authentication required\n');
  };
}
