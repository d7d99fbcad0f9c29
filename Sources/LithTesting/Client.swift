import Lith
