"""Allow `python -m voc ...`."""

from voc.cli import main

if __name__ == "__main__":
    main()
