using System.Device.I2c;

namespace Somnis.Edge.Sensors.Emulation;

/// <summary>
/// An I²C chip emulated at the bus level: a 256-byte register file behind a register pointer, as most sensor
/// chips work (a write sets the pointer and writes on with auto-increment; a read reads on from the pointer).
/// Subclasses refresh their output registers from the <see cref="EmulatedBed"/> and react to command writes.
/// The real binding driver talks to it exactly as it talks to <c>/dev/i2c-N</c>.
/// </summary>
internal abstract class EmulatedI2cDevice : I2cDevice
{
    private readonly string _chip;
    private byte[]? _frozen;

    protected EmulatedI2cDevice(EmulatedBed bed, string chip, I2cConnectionSettings settings)
    {
        Bed = bed;
        _chip = chip;
        ConnectionSettings = settings;
    }

    public override I2cConnectionSettings ConnectionSettings { get; }

    protected EmulatedBed Bed { get; }

    /// <summary>The register file.</summary>
    protected byte[] Registers { get; } = new byte[256];

    /// <summary>The register pointer.</summary>
    protected byte Pointer { get; set; }

    /// <summary>Bytes per register: 1 for byte-wide auto-incrementing maps, 2 for 16-bit registers (ADS1115).</summary>
    protected virtual int RegisterWidth => 1;

    /// <summary>The fault currently injected into this chip.</summary>
    protected ChipFault Fault => Bed.FaultOf(_chip);

    public override byte ReadByte()
    {
        Span<byte> one = stackalloc byte[1];
        Read(one);
        return one[0];
    }

    public override void Read(Span<byte> buffer)
    {
        Transfer();
        var source = Fault == ChipFault.Stale ? _frozen ??= (byte[])Registers.Clone() : Registers;
        if (Fault != ChipFault.Stale)
        {
            _frozen = null;
            Refresh(Pointer, buffer.Length);
        }

        var offset = Pointer * RegisterWidth;
        for (var i = 0; i < buffer.Length; i++)
        {
            buffer[i] = source[(offset + i) & 0xFF];
        }

        OnRead(buffer);
        if (RegisterWidth == 1)
        {
            Pointer = (byte)(Pointer + buffer.Length);
        }
    }

    public override void WriteByte(byte value)
    {
        Span<byte> one = [value];
        Write(one);
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        Transfer();
        if (buffer.Length == 0)
        {
            return;
        }

        Pointer = buffer[0];
        for (var i = 1; i < buffer.Length; i++)
        {
            var offset = ((Pointer * RegisterWidth) + i - 1) & 0xFF;
            Registers[offset] = buffer[i];
            OnWrite((byte)offset, buffer[i]);
        }
    }

    public override void WriteRead(ReadOnlySpan<byte> writeBuffer, Span<byte> readBuffer)
    {
        Write(writeBuffer);
        Read(readBuffer);
    }

    /// <summary>Updates the output registers <paramref name="start"/>… from the bed before they are read.</summary>
    protected virtual void Refresh(byte start, int count)
    {
    }

    /// <summary>Reacts to a write of the byte at <paramref name="register"/> (a byte offset in <see cref="Registers"/>).</summary>
    protected virtual void OnWrite(byte register, byte value)
    {
    }

    /// <summary>Post-processes the bytes read (e.g. a checksum).</summary>
    protected virtual void OnRead(Span<byte> buffer)
    {
    }

    private void Transfer()
    {
        if (Fault == ChipFault.Nack)
        {
            // What the Linux I2C driver reports when the chip does not acknowledge its address.
            throw new IOException($"Error 121 performing I2C data transfer (no acknowledge from 0x{ConnectionSettings.DeviceAddress:X2} on bus {ConnectionSettings.BusId})");
        }
    }
}
