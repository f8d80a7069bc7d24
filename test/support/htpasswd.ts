export { opaqueSecret } from './fixtures.ts';

/** Hashes of the password `open sesame` in every format Gatehouse accepts (made with openssl and libxcrypt). */
export const PASSWORD = 'open sesame';
export const HASHES = {
  bcrypt: '$2b$05$abcdefghijklmnopqrstuupx2xBUC4954936wVIjyyPHmUBFu0wCW',
  sha512:
    '$6$Gatehous3$DYRdcgSntT2nnH5jvWRaj84kgaLGgumUSjGHsU0Wf75jW1L1IuHd4Hw0T9AHz5rkH7z1mvm3lbUt7f.7cpOci/',
  sha256: '$5$abcdefgh$FWXdh6oXOJQkX7oAcP02d0Gnxjct6ra8Fwv29U9RIN2',
  apr1: '$apr1$h7Yt2kLq$2Ou.sRyGbB2vjR4NaMgkP.',
  ssha: '{SSHA}3h9xs3NvbTo4NpTUJ1lZlpDlHmdzYWx0MTIzNA==',
  sha: '{SHA}W8r/fyL/UzygmbNAjq2HbA67qac=',
} as const;

/** `Authorization: Basic …` for a user and password. */
export function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}
