package dev.extproc.transforms;

/** Validators of matched numbers. */
final class Checks {
  private Checks() {}

  /** Returns whether the digits in {@code b[from, to)} (other bytes skipped) pass the Luhn check. */
  static boolean luhn(byte[] b, int from, int to) {
    int sum = 0;
    int digits = 0;
    for (int i = to - 1; i >= from; i--) {
      int c = b[i];
      if (c < '0' || c > '9') {
        continue;
      }
      int d = c - '0';
      if ((digits & 1) == 1) {
        d *= 2;
        if (d > 9) {
          d -= 9;
        }
      }
      sum += d;
      digits++;
    }
    return digits >= 13 && digits <= 19 && sum % 10 == 0;
  }

  /** Returns whether {@code b[from, to)} is an IBAN whose check digits are right (ISO 13616 mod 97). */
  static boolean iban(byte[] b, int from, int to) {
    int n = to - from;
    if (n < 15 || n > 34) {
      return false;
    }
    int remainder = 0;
    for (int k = 0; k < n; k++) {
      int c = b[from + (k + 4) % n];
      int value;
      if (c >= '0' && c <= '9') {
        value = c - '0';
        remainder = (remainder * 10 + value) % 97;
      } else if (c >= 'A' && c <= 'Z') {
        value = c - 'A' + 10;
        remainder = (remainder * 100 + value) % 97;
      } else {
        return false;
      }
    }
    return remainder == 1;
  }
}
