/** A throwaway certificate authority and a server certificate for 127.0.0.1, made with openssl. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestCertificates {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

export function makeCertificates(dir: string, name = 'test-ca'): TestCertificates {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  openssl(
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${name}`, '-keyout', 'ca.key', '-out', 'ca.pem'],
    dir,
  );
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', 'server.key', '-out', 'server.csr'], dir);
  signWithCa(dir, 'server', 'san.ext');
  return { ca: join(dir, 'ca.pem'), cert: join(dir, 'server.pem'), key: join(dir, 'server.key') };
}

/** Signs `<name>.csr` in `dir` with the CA there, valid two days, with the extensions in `extfile`: `<name>.pem`. */
function signWithCa(dir: string, name: string, extfile: string): void {
  openssl(
    [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '2',
      '-out',
      `${name}.pem`,
      '-extfile',
      extfile,
    ],
    dir,
  );
}

/** A client certificate (extended key usage clientAuth) signed by the CA that makeCertificates made in `dir`. */
export function makeClientCertificate(dir: string, name = 'client'): { readonly cert: string; readonly key: string } {
  writeFileSync(join(dir, `${name}.ext`), 'extendedKeyUsage=clientAuth\n');
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.csr`], dir);
  signWithCa(dir, name, `${name}.ext`);
  return { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) };
}
